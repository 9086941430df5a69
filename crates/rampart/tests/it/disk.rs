//! A full disk: `rampart serve` with its SQLite database and its evidence on
//! a small tmpfs that is then filled. Writes answer 503 with a problem
//! document, `/readyz` says why the node is not ready, no partial upload is
//! left behind, and once space is freed everything works again and the
//! journal and the evidence still verify.
//!
//! Mounting needs root (CI runs as root); elsewhere the test says so and
//! passes without running.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::PASSWORD;
use crate::web::WebClient;

/// A tmpfs mounted for the test, unmounted when dropped (also on failure).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `32m`), or `None` when not root.
    fn mount(size: &str) -> Option<Self> {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let root = status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2))
            == Some("0");
        if !root {
            println!("skipping the full-disk test: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(mounted.success(), "mount -t tmpfs failed");
        Some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(self.dir.path()).status();
        if !unmounted.is_ok_and(|s| s.success()) {
            // Something still holds a file there; detach it all the same.
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.dir.path())
                .status();
        }
    }
}

/// The server process, killed when dropped.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rampart(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    // Everything on the small disk: database, evidence and key in their
    // default places under the data directory.
    cmd.env_remove("RAMPART_DATABASE_URL")
        .env_remove("RAMPART_EVIDENCE_DIR")
        .env_remove("RAMPART_SIGNING_KEY")
        .env("RAMPART_DATA_DIR", data)
        .env("RUST_LOG", "info");
    cmd
}

/// Runs a command-line tool; returns its standard output.
fn cli(data: &Path, args: &[&str]) -> String {
    let out = rampart(data).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "rampart {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn start(data: &Path, log: PathBuf) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let child = rampart(data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let server = Server { child, base, log };
    rampart_notify::use_ring_for_tls();
    let client = reqwest::Client::new();
    for _ in 0..400 {
        if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await
            && r.status() == StatusCode::OK
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the server did not become ready: {}",
        std::fs::read_to_string(&server.log).unwrap_or_default()
    );
}

/// Writes zeros into `path` until the file system refuses more.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 64 * 1024];
    loop {
        match file.write_all(&block) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    // The last bytes of a page, too.
    while file.write_all(&[0u8]).is_ok() {}
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.bearer_auth(&self.token).send().await.unwrap();
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = resp.text().await.unwrap();
        if !status.is_success() {
            assert_eq!(
                ct, "application/problem+json",
                "{status} without a problem document: {text}"
            );
        }
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            self.http
                .post(format!("{}/api/v1{path}", self.base))
                .json(&body),
        )
        .await
    }

    async fn report(&self, title: &str) -> (StatusCode, Value) {
        self.post(
            "/events",
            json!({"title": title, "description": "seen on the wire"}),
        )
        .await
    }

    async fn upload(&self, incident: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        let mut form = Form::new();
        for (k, v) in [
            ("description", "Packet capture"),
            ("found_at", "core switch span port"),
            ("collected_by", "Ian (ISIRT)"),
            ("collected_at", "2026-01-10T09:00:00Z"),
            ("reason", "shows the exfiltration"),
        ] {
            form = form.text(k, v);
        }
        form = form.part("file", Part::bytes(bytes).file_name("capture.pcap"));
        self.send(
            self.http
                .post(format!(
                    "{}/api/v1/incidents/{incident}/evidence",
                    self.base
                ))
                .multipart(form),
        )
        .await
    }

    async fn ready(&self) -> (StatusCode, Value) {
        self.send(self.http.get(format!("{}/readyz", self.base)))
            .await
    }
}

fn incoming(data: &Path) -> Vec<String> {
    std::fs::read_dir(data.join("evidence").join("incoming"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_plainly_and_recovers() {
    let Some(disk) = Tmpfs::mount("32m") else {
        return;
    };
    let data = disk.path().join("data");
    cli(
        &data,
        &[
            "user",
            "add",
            "ian",
            "--role",
            "poc",
            "--role",
            "isirt_member",
        ],
    );
    let token = cli(&data, &["token", "create", "ian"]).trim().to_owned();
    let mut password = rampart(&data)
        .args(["user", "password", "ian"])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(password.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(password.wait().unwrap().success());

    // A server killed in the middle of an upload left part of it behind.
    let left = data.join("evidence").join("incoming").join("5eed0fc0ffee");
    std::fs::create_dir_all(left.parent().unwrap()).unwrap();
    std::fs::write(&left, vec![1u8; 100_000]).unwrap();

    // The log stays off the full disk.
    let logs = tempfile::tempdir().unwrap();
    let server = start(&data, logs.path().join("serve.log")).await;
    assert!(!left.exists(), "the partial upload is removed at start-up");
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("removed partial uploads left by an earlier run")
            && log.contains("5eed0fc0ffee"),
        "{log}"
    );
    let api = Api {
        http: {
            rampart_notify::use_ring_for_tls();
            reqwest::Client::new()
        },
        base: server.base.clone(),
        token,
    };
    let web = WebClient::at(server.base.clone());
    web.sign_in("ian", PASSWORD)
        .await
        .assert_redirect("/dashboard");

    // An incident with one item of evidence.
    let (status, event) = api.report("Exfiltration over DNS").await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let event = event["number"].as_str().unwrap().to_owned();
    let (status, body) = api
        .post(
            &format!("/events/{event}/assessment"),
            json!({"decision": "possible_incident", "escalate": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, inc) = api
        .post(
            "/incidents",
            json!({"events": [event], "title": "Exfiltration", "category": "malware",
                   "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
                   "effort": "low", "coordinator": "ian"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inc}");
    let inc = inc["number"].as_str().unwrap().to_owned();
    let (status, first) = api.upload(&inc, vec![7u8; 200_000]).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(api.ready().await.0, StatusCode::OK);

    // The disk fills up.
    let filler = disk.path().join("filler");
    fill(&filler);

    // Not ready, and why.
    let (status, ready) = api.ready().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["title"], "Not ready");
    let reason = ready["detail"].as_str().unwrap();
    assert!(
        reason.contains("cannot take writes") && reason.contains("bytes are free"),
        "{reason}"
    );
    assert!(
        !reason.contains(&*disk.path().to_string_lossy()),
        "no paths: {reason}"
    );

    // Reports go through while the database's log has room, then are refused
    // plainly: 503 with a problem document, never 500.
    let mut refused = None;
    for i in 0..2000 {
        let (status, body) = api.report(&format!("Report {i} on a full disk")).await;
        if status != StatusCode::CREATED {
            refused = Some((status, body));
            break;
        }
    }
    let (status, problem) = refused.expect("a report is refused once the disk is full");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["status"], 503);

    // An upload is refused the same way, and leaves nothing in incoming/.
    let (status, problem) = api.upload(&inc, vec![9u8; 300_000]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert!(incoming(&data).is_empty(), "{:?}", incoming(&data));

    // The web UI says so in a page of its own.
    let page = web
        .submit(
            "/report",
            &[
                ("title", "Seen from the browser"),
                ("description", "on a full disk"),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    assert!(page.body.contains("Storage unavailable"), "{}", page.body);
    let (status, _) = api.ready().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    // Space is freed: everything works again.
    std::fs::remove_file(&filler).unwrap();
    let (status, body) = api.report("After the disk was freed").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, second) = api.upload(&inc, vec![5u8; 300_000]).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let (status, ready) = api.ready().await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    for item in [&first, &second] {
        let (status, checked) = api
            .post(
                &format!(
                    "/evidence/{}/verification",
                    item["number"].as_str().unwrap()
                ),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{checked}");
        assert_eq!(checked["last_check"]["intact"], true, "{checked}");
    }
    let page = web
        .submit(
            "/report",
            &[
                ("title", "Seen from the browser"),
                ("description", "after the disk was freed"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    drop(server);

    // The journal and the evidence verify.
    let verified = cli(&data, &["journal", "verify"]);
    assert!(verified.starts_with("OK "), "{verified}");
    let bundle = logs.path().join("bundle.tar");
    cli(
        &data,
        &[
            "evidence",
            "export",
            &inc,
            "--out",
            bundle.to_str().unwrap(),
            "--by",
            "ian",
        ],
    );
    let checked = cli(&data, &["evidence", "verify", bundle.to_str().unwrap()]);
    assert!(
        checked.starts_with(&format!("OK {inc}: 2 evidence items")),
        "{checked}"
    );
}
