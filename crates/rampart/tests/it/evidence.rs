//! Evidence that holds up: streamed upload and download, the chain of
//! custody, tampered content refused with an alarm, legal hold against every
//! removal path, signed checkpoints, and the journal export and evidence
//! bundle checked offline by the real binary.

use rampart_domain::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, fields, incident};

crate::on_both_backends!(
    custody_history_is_complete_and_ordered,
    a_changed_byte_is_refused_and_raises_an_alarm,
    legal_hold_blocks_disposal_and_purge,
    bad_uploads_are_refused_and_change_nothing,
    the_journal_export_verifies_offline_and_names_a_changed_entry,
    the_bundle_verifies_offline_and_names_a_changed_file,
    evidence_of_a_restricted_incident_does_not_exist_for_others,
    content_altered_during_a_download_never_arrives_whole,
);

pub(crate) const METADATA: [(&str, &str); 7] = [
    ("description", "Raw mail of the phishing message"),
    ("found_at", "mailbox of rita@example.org"),
    ("collected_by", "Ian (ISIRT)"),
    ("collected_at", "2026-01-10T09:00:00Z"),
    ("tool", "mail export 2.1"),
    ("reason", "shows the sender infrastructure"),
    ("location", "evidence locker 3"),
];

pub(crate) fn form(metadata: &[(&str, &str)], file: Option<(&str, Vec<u8>)>) -> Form {
    let mut form = Form::new();
    for (k, v) in metadata {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    if let Some((name, bytes)) = file {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    }
    form
}

pub(crate) async fn upload_form(
    app: &TestApp,
    token: &str,
    inc: &str,
    form: Form,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!(
            "http://{}/api/v1/incidents/{inc}/evidence",
            app.addr
        ))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Uploads `bytes` with the standard metadata; returns the item.
pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    inc: &str,
    name: &str,
    bytes: &[u8],
) -> Value {
    let (status, item) = upload_form(
        app,
        token,
        inc,
        form(&METADATA, Some((name, bytes.to_vec()))),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    item
}

pub(crate) async fn download(app: &TestApp, token: &str, evd: &str) -> reqwest::Response {
    app.client
        .get(format!("http://{}/api/v1/evidence/{evd}/content", app.addr))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The custody history of an item: (action, actor) in order, sequence numbers rising.
pub(crate) async fn custody(app: &TestApp, token: &str, evd: &str) -> Vec<(String, String)> {
    let (status, view) = app.get(&format!("/api/v1/evidence/{evd}"), token).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let entries = view["custody"].as_array().unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    entries
        .iter()
        .map(|e| {
            assert_eq!(e["entity"], evd);
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) async fn team(app: &TestApp) -> (String, String, String, String) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let aud = app.user("aud", &[Role::Auditor]).await;
    (poc, ian, mia, aud)
}

async fn custody_history_is_complete_and_ordered(app: TestApp) {
    let (poc, ian, mia, aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Phishing wave").await;
    let content =
        b"Received: from mx.example.net\r\nSubject: invoice\r\n\r\nclick here".repeat(500);

    let item = upload(&app, &ian, &inc, "phish.eml", &content).await;
    let evd = item["number"].as_str().unwrap().to_owned();
    assert!(evd.starts_with("EVD-") && evd.ends_with("-0001"), "{evd}");
    assert_eq!(item["content"]["sha256"], sha256_hex(&content));
    assert_eq!(item["content"]["size"], content.len());
    assert_eq!(item["content"]["filename"], "phish.eml");
    assert_eq!(item["custodian"], "ian");
    assert_eq!(item["tlp"], "AMBER", "inherited from the incident");
    assert_eq!(item["location"], "evidence locker 3");
    assert_eq!(item["incident"], inc.as_str());

    // The same content uploaded twice is stored once.
    let again = upload(&app, &mia, &inc, "copy.eml", &content).await;
    assert_eq!(again["content"]["sha256"], item["content"]["sha256"]);
    assert_ne!(again["number"], item["number"]);
    assert_eq!(app.stored_files(), 1);
    let (_, list) = app
        .get(&format!("/api/v1/incidents/{inc}/evidence"), &aud)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // Download: the bytes, their digest, and a custody entry.
    let resp = download(&app, &ian, &evd).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    let digest = resp.headers()["repr-digest"].to_str().unwrap().to_owned();
    assert!(digest.starts_with("sha-256=:"), "{digest}");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), content.as_slice());

    // Transfer to the police, with a seal number; then a verification by the auditor.
    let moved = app
        .post_ok(
            &format!("/api/v1/evidence/{evd}/transfers"),
            &ian,
            json!({"to": "DC Smith, regional police", "reason": "criminal complaint filed", "location": "seal 0042"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(moved["custodian"], "DC Smith, regional police");
    assert_eq!(moved["location"], "seal 0042");
    let checked = app
        .post_ok(
            &format!("/api/v1/evidence/{evd}/verification"),
            &aud,
            json!({}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(checked["last_check"]["intact"], true);
    assert_eq!(checked["last_check"]["by"], "aud");

    assert_eq!(
        custody(&app, &aud, &evd).await,
        [
            ("evidence.collected", "ian"),
            ("evidence.downloaded", "ian"),
            ("evidence.transferred", "ian"),
            ("evidence.verified", "aud"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let (_, view) = app.get(&format!("/api/v1/evidence/{evd}"), &ian).await;
    let transfer = &view["custody"][2]["payload"];
    assert_eq!(
        (
            transfer["from"].as_str(),
            transfer["to"].as_str(),
            transfer["reason"].as_str(),
            transfer["location"].as_str()
        ),
        (
            Some("ian"),
            Some("DC Smith, regional police"),
            Some("criminal complaint filed"),
            Some("seal 0042")
        )
    );

    // Roles: the auditor reads custody but not content; a PoC sees no evidence at all.
    assert_eq!(
        download(&app, &aud, &evd).await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = app.get(&format!("/api/v1/evidence/{evd}"), &poc).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &format!("/api/v1/evidence/{evd}/transfers"),
            &aud,
            json!({"to": "x", "reason": "y"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Signed checkpoints accumulate as the journal grows, and the chain holds.
    // They are signed in the background after the commit that makes them due.
    let mut signed = None;
    for _ in 0..100 {
        signed = app.store.last_checkpoint().await.unwrap();
        if signed.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(signed.is_some(), "a checkpoint is signed every 5 entries");
    let out = app.cli(&["journal", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

async fn a_changed_byte_is_refused_and_raises_an_alarm(app: TestApp) {
    let (poc, ian, _mia, aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Disk image").await;
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let item = upload(&app, &ian, &inc, "disk.img", &content).await;
    let evd = item["number"].as_str().unwrap().to_owned();
    let sha = item["content"]["sha256"].as_str().unwrap().to_owned();

    app.tamper(&sha, 123_456);

    let resp = download(&app, &ian, &evd).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let problem: Value = resp.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("no longer matches its SHA-256") && detail.contains(&evd),
        "{detail}"
    );
    let history = custody(&app, &aud, &evd).await;
    assert_eq!(
        history.last().unwrap(),
        &("evidence.integrity_failed".to_owned(), "ian".to_owned())
    );
    assert!(
        !history.iter().any(|(a, _)| a == "evidence.downloaded"),
        "a refused download is no download"
    );
    let (_, view) = app.get(&format!("/api/v1/evidence/{evd}"), &aud).await;
    let alarm = &view["custody"].as_array().unwrap().last().unwrap()["payload"];
    assert_eq!(alarm["during"], "download");
    assert_eq!(alarm["expected_sha256"], sha.as_str());
    assert_ne!(alarm["found_sha256"], sha.as_str());
    assert_eq!(view["last_check"]["intact"], false);

    // A verification finds it too, and so does an export.
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
    let alarms = custody(&app, &aud, &evd)
        .await
        .into_iter()
        .filter(|(a, _)| a == "evidence.integrity_failed")
        .count();
    assert_eq!(alarms, 3);

    // Content that vanished is an alarm as well.
    std::fs::remove_file(app.blob_path(&sha)).unwrap();
    let resp = download(&app, &ian, &evd).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
}

async fn legal_hold_blocks_disposal_and_purge(app: TestApp) {
    let (poc, ian, mia, aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Insider case").await;
    let content = b"chat export".repeat(1000);
    let item = upload(&app, &ian, &inc, "chat.json", &content).await;
    let evd = item["number"].as_str().unwrap().to_owned();
    let sha = item["content"]["sha256"].as_str().unwrap().to_owned();

    // Only the ISIRT manager places holds and disposes.
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/evidence/{evd}/hold"),
            Some(&ian),
            Some(json!({"hold": true, "reason": "litigation"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, held) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/evidence/{evd}/hold"),
            Some(&mia),
            Some(json!({"hold": true, "reason": "litigation hold from legal, case 2026-17"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{held}");
    assert_eq!(held["hold"]["by"], "mia");

    // Disposal is refused while the hold stands, and changes nothing.
    let before = app.journal_len().await;
    let (status, problem) = app
        .post(
            &format!("/api/v1/evidence/{evd}/disposal"),
            &mia,
            json!({"reason": "retention period over"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        problem["detail"].as_str().unwrap().contains("legal hold"),
        "{problem}"
    );
    assert_eq!(app.journal_len().await, before);
    assert!(app.blob_path(&sha).exists());

    // The retention purge skips it too, and says so.
    let base = format!("/api/v1/incidents/{inc}");
    for (to, extra) in [
        ("responding", json!({})),
        ("recovering", json!({})),
        ("closed", json!({"resolution": "account closed"})),
    ] {
        let mut body = json!({"to": to, "reason": format!("moving to {to}")});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        app.post_ok(&format!("{base}/transitions"), &ian, body, StatusCode::OK)
            .await;
    }
    let purge = [
        "evidence",
        "purge",
        "--closed-before",
        "2999-01-01",
        "--reason",
        "retention policy",
        "--by",
        "mia",
    ];
    let out = app.cli(&purge);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.trim(), format!("kept {evd}: under legal hold"));
    assert!(app.blob_path(&sha).exists());
    assert_eq!(download(&app, &ian, &evd).await.status(), StatusCode::OK);

    // Released, the same purge disposes of the content; the record and its history stay.
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/evidence/{evd}/hold"),
            Some(&mia),
            Some(json!({"hold": false, "reason": "case settled"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let out = app.cli(&purge);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("disposed {evd}")
    );
    assert!(!app.blob_path(&sha).exists());
    let resp = download(&app, &ian, &evd).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let actions: Vec<String> = custody(&app, &aud, &evd)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        actions,
        [
            "evidence.collected",
            "evidence.hold_placed",
            "evidence.downloaded",
            "evidence.hold_released",
            "evidence.disposed"
        ]
    );
    // There is no path that deletes the record itself.
    let resp = app
        .client
        .delete(format!("http://{}/api/v1/evidence/{evd}", app.addr))
        .bearer_auth(&mia)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
}

async fn bad_uploads_are_refused_and_change_nothing(app: TestApp) {
    let (poc, ian, _mia, aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Bad uploads").await;
    let before = app.journal_len().await;
    let file = || Some(("x.bin", b"some content".to_vec()));

    // Every missing or bad field is named at once.
    let bad = [
        ("description", " "),
        ("collected_at", "yesterday"),
        ("tlp", "PURPLE"),
    ];
    let (status, problem) = upload_form(&app, &ian, &inc, form(&bad, file())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        [
            "description",
            "found_at",
            "collected_by",
            "reason",
            "collected_at",
            "tlp"
        ]
    );
    // A future collection time, no file, an empty file, an unknown field.
    let mut future = METADATA.to_vec();
    future[3] = ("collected_at", "2999-01-01T00:00:00Z");
    let (status, problem) = upload_form(&app, &ian, &inc, form(&future, file())).await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["collected_at".to_owned()]
        )
    );
    let (status, problem) = upload_form(&app, &ian, &inc, form(&METADATA, None)).await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["file".to_owned()])
    );
    let (status, problem) =
        upload_form(&app, &ian, &inc, form(&METADATA, Some(("e", vec![])))).await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["file".to_owned()])
    );
    let mut unknown = METADATA.to_vec();
    unknown.push(("colour", "red"));
    let (status, problem) = upload_form(&app, &ian, &inc, form(&unknown, file())).await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["colour".to_owned()])
    );
    // Not multipart at all; an unknown incident; a role that may not upload.
    let (status, problem) = app
        .post(
            &format!("/api/v1/incidents/{inc}/evidence"),
            &ian,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, _) = upload_form(&app, &ian, "INC-2026-9999", form(&METADATA, file())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = upload_form(&app, &aud, &inc, form(&METADATA, file())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    assert_eq!(app.journal_len().await, before, "refusals write nothing");
    assert_eq!(app.stored_files(), 0, "refused content is not kept");
    let (_, list) = app
        .get(&format!("/api/v1/incidents/{inc}/evidence"), &aud)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    for path in [
        "/api/v1/evidence/EVD-2026-0001",
        "/api/v1/evidence/nonsense",
    ] {
        let (status, _) = app.get(path, &aud).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

async fn the_journal_export_verifies_offline_and_names_a_changed_entry(app: TestApp) {
    let (poc, ian, _mia, _aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Exported").await;
    upload(&app, &ian, &inc, "a.txt", b"alpha").await;
    // Once the notifications these changes call for are journaled too.
    let entries = app.journal_len().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("journal.jsonl");
    let file_arg = file.to_str().unwrap();

    let out = app.cli(&["journal", "export", file_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = app.cli(&["journal", "key"]);
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    assert_eq!(key.len(), 64);

    // Verified on "another machine": only the file and the binary, no database.
    let verify = |path: &str, keys: &[&str]| {
        let mut args = vec!["journal", "verify", "--file", path];
        for k in keys {
            args.extend(["--key", k]);
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(&args)
            .env_clear()
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        )
    };
    let (code, text) = verify(file_arg, &[&key]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with(&format!("OK {entries} entries, ")) && text.ends_with(&key),
        "{text}"
    );

    // One changed byte in an entry: the line and the sequence number are named.
    let original = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let (line_no, line) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains("\"action\":\"evidence.collected\""))
        .unwrap();
    let seq = serde_json::from_str::<Value>(line).unwrap()["entry"]["seq"]
        .as_u64()
        .unwrap();
    let altered = original.replacen(
        "\"actor\":\"ian\",\"action\"",
        "\"actor\":\"ivy\",\"action\"",
        1,
    );
    let changed = dir.path().join("changed.jsonl");
    std::fs::write(&changed, &altered).unwrap();
    assert!(altered != original);
    let first_ian = lines
        .iter()
        .position(|l| l.contains("\"actor\":\"ian\",\"action\""))
        .unwrap();
    let first_ian_seq = serde_json::from_str::<Value>(lines[first_ian]).unwrap()["entry"]["seq"]
        .as_u64()
        .unwrap();
    let (code, text) = verify(changed.to_str().unwrap(), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        text,
        format!(
            "BROKEN at line {}, sequence {first_ian_seq}: content does not match its hash (entry altered)",
            first_ian + 1
        )
    );
    assert!(line_no >= first_ian && seq >= first_ian_seq);

    // A file signed by another installation fails against the pinned key.
    let other = tempfile::tempdir().unwrap();
    let other_key = rampart_evidence::key_file::load_or_create(&other.path().join("k"))
        .unwrap()
        .public_hex();
    let (code, text) = verify(file_arg, &[&other_key]);
    assert_eq!(code, Some(1));
    assert!(text.contains("not one of the trusted keys"), "{text}");
    // A removed tail is caught.
    let truncated: String = lines[..lines.len() - 3]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    let cut = dir.path().join("cut.jsonl");
    std::fs::write(&cut, truncated).unwrap();
    let (code, text) = verify(cut.to_str().unwrap(), &[]);
    assert_eq!(code, Some(1), "{text}");
}

async fn the_bundle_verifies_offline_and_names_a_changed_file(app: TestApp) {
    let (poc, ian, _mia, aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Bundled").await;
    let first = b"first file, some bytes".repeat(100);
    let second = b"second file with other bytes".repeat(100);
    let one = upload(&app, &ian, &inc, "one.log", &first).await;
    upload(&app, &ian, &inc, "two.pcap", &second).await;
    let evd = one["number"].as_str().unwrap().to_owned();

    let resp = app
        .client
        .get(format!(
            "http://{}/api/v1/incidents/{inc}/evidence/bundle",
            app.addr
        ))
        .bearer_auth(&ian)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/x-tar");
    let tar = resp.bytes().await.unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.tar");
    std::fs::write(&path, &tar).unwrap();

    let verify = |p: &std::path::Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(["evidence", "verify", p.to_str().unwrap()])
            .env_clear()
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        )
    };
    let (code, text) = verify(&path);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with(&format!("OK {inc}: 2 evidence items")),
        "{text}"
    );

    // The export is in the custody history, and the manifest carries that history.
    let history = custody(&app, &aud, &evd).await;
    assert_eq!(history.last().unwrap().0, "evidence.exported");
    let text = String::from_utf8_lossy(&tar);
    assert!(
        text.contains("\"action\": \"evidence.collected\""),
        "the manifest holds the custody history"
    );

    // One changed byte in the second file: that file is named.
    let mut altered = tar.clone();
    let at = altered
        .windows(13)
        .position(|w| w == b"second file w")
        .unwrap();
    altered[at] = b'S';
    let bad = dir.path().join("altered.tar");
    std::fs::write(&bad, altered).unwrap();
    let (code, text) = verify(&bad);
    assert_eq!(code, Some(1));
    assert!(
        text.starts_with("BROKEN file files/EVD-")
            && text.contains("two.pcap")
            && text.contains("SHA-256 differs"),
        "{text}"
    );

    // The command-line export makes the same kind of bundle, recorded under the named user.
    let cli_bundle = dir.path().join("cli.tar");
    let out = app.cli(&[
        "evidence",
        "export",
        &inc,
        "--out",
        cli_bundle.to_str().unwrap(),
        "--by",
        "ian",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, text) = verify(&cli_bundle);
    assert_eq!(code, Some(0), "{text}");
    let out = app.cli(&[
        "evidence",
        "export",
        &inc,
        "--out",
        "/tmp/x.tar",
        "--by",
        "aud",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not"));
}

async fn evidence_of_a_restricted_incident_does_not_exist_for_others(app: TestApp) {
    let (poc, ian, mia, aud) = team(&app).await;
    let other = app.user("oli", &[Role::IsirtMember]).await;
    let inc = incident(&app, &poc, &ian, "ian", "Board member laptop").await;
    let item = upload(&app, &ian, &inc, "laptop.img", b"secret image").await;
    let evd = item["number"].as_str().unwrap().to_owned();
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/incidents/{inc}/restriction"),
            Some(&ian),
            Some(json!({"users": ["ian", "mia"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    for token in [&other, &aud] {
        let (status, _) = app.get(&format!("/api/v1/evidence/{evd}"), token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        download(&app, &other, &evd).await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, _) = upload_form(
        &app,
        &other,
        &inc,
        form(&METADATA, Some(("x", b"x".to_vec()))),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The journal does not name the item to those outside the list.
    let (_, page) = app.get("/api/v1/journal?limit=1000", &aud).await;
    assert!(
        !page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["entity"] == evd.as_str()),
        "evidence entries of a restricted incident are hidden"
    );
    let (status, _) = app.get(&format!("/api/v1/evidence/{evd}"), &mia).await;
    assert_eq!(status, StatusCode::OK);
}

async fn content_altered_during_a_download_never_arrives_whole(app: TestApp) {
    use futures_util::StreamExt;
    let (poc, ian, _mia, aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Swapped while sent").await;
    let content = vec![7u8; 3 * 256 * 1024 + 100];
    let item = upload(&app, &ian, &inc, "big.bin", &content).await;
    let evd = item["number"].as_str().unwrap().to_owned();
    let sha = item["content"]["sha256"].as_str().unwrap().to_owned();
    let actor = rampart_domain::Actor::new("ian", vec![Role::IsirtMember]);

    // The check before the first byte passes; the content changes after it.
    let (opened, reading) = app
        .service
        .open_evidence(&actor, evd.parse().unwrap())
        .await
        .unwrap();
    app.tamper(&sha, content.len() - 1);
    let response =
        rampart_http::api::evidence::download_response(app.service.clone(), actor, opened, reading);
    let mut body = response.into_body().into_data_stream();
    let mut received = 0;
    let mut failed = false;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => received += bytes.len(),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the body ends in an error");
    assert!(
        received < content.len(),
        "the last chunk is held back: {received} of {} bytes left",
        content.len()
    );
    let history = custody(&app, &aud, &evd).await;
    assert_eq!(
        history.last().unwrap(),
        &("evidence.integrity_failed".to_owned(), "ian".to_owned())
    );
}
