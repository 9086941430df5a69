//! `TestApp`: a running Rampart on an ephemeral port with a fresh database.

use std::net::SocketAddr;
use std::process::Output;
use std::sync::Arc;

use rampart::config::Config;
use rampart::startup::Application;
use rampart_app::App;
use rampart_domain::{Actor, Role};
use rampart_store::Store;
use rampart_store_pg::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The password of every account made by [`TestApp::account`].
pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[allow(dead_code, reason = "held for its Drop")]
enum Guard {
    Dir(TempDir),
    Db(TestDatabase),
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub admin: String,
    pub service: Arc<App>,
    pub store: Arc<dyn Store>,
    pub backend: Backend,
    /// Where the syslog receiver listens, when the configuration turned it on.
    pub syslog: rampart_syslog::Listening,
    /// Where `/metrics` is served without a token, when configured.
    pub metrics: Option<SocketAddr>,
    /// `--data-dir DIR` or `--database-url URL`, for the command-line tools.
    pub storage_args: Vec<String>,
    /// Holds `evidence/` (the content store) and `signing.key`, shared with the command-line tools.
    pub vault_dir: TempDir,
    /// Stops the server, as a signal stops `rampart serve`.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _guard: Guard,
}

/// The Python with the reference validators (`.ci/validators` makes it):
/// `RAMPART_VALIDATOR_PYTHON`, else the one under `~/.cache`. Without it the
/// caller skips, saying so, unless `RAMPART_REQUIRE_VALIDATORS` is set.
pub fn validator_python() -> Option<std::path::PathBuf> {
    let python = std::env::var_os("RAMPART_VALIDATOR_PYTHON")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".cache/rampart-validators/bin/python"))
        })
        .filter(|p| p.exists());
    if python.is_none() {
        assert!(
            std::env::var_os("RAMPART_REQUIRE_VALIDATORS").is_none(),
            "RAMPART_REQUIRE_VALIDATORS is set but no validator Python was found; run .ci/validators"
        );
        eprintln!("SKIPPED: no reference validators (run `bash .ci/validators` to install them)");
    }
    python
}

/// Runs `script` with the validators' Python, `input` on its standard
/// input; its standard output, or a panic with what it printed.
pub fn run_validator(python: &std::path::Path, script: &str, input: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the validators' Python starts");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the validator refused it:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs each named test function (taking a `TestApp`) on both backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite, stringify!($name)).await {
                        super::$name(app).await;
                    }
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres, stringify!($name)).await {
                        super::$name(app).await;
                    }
                }
            )+
        }
    };
}

impl TestApp {
    pub async fn spawn(backend: Backend, test: &str) -> Option<Self> {
        Self::spawn_with(backend, test, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with the configuration changed by `configure`
    /// before the server is assembled.
    pub async fn spawn_with(
        backend: Backend,
        test: &str,
        configure: impl FnOnce(&mut Config),
    ) -> Option<Self> {
        Self::spawn_on(
            backend,
            test,
            configure,
            Arc::new(rampart_domain::SystemClock),
        )
        .await
    }

    /// Like [`TestApp::spawn_with`], the installation on `clock`.
    pub async fn spawn_on(
        backend: Backend,
        test: &str,
        configure: impl FnOnce(&mut Config),
        clock: Arc<dyn rampart_domain::Clock>,
    ) -> Option<Self> {
        let vault_dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            evidence_dir: Some(vault_dir.path().join("evidence")),
            signing_key: Some(vault_dir.path().join("signing.key")),
            public_intake: true,
            // Small enough that checkpoints appear in every test's journal.
            checkpoint_entries: 5,
            ..Config::default()
        };
        let (guard, storage_args): (Guard, Vec<String>) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                config.data_dir = dir.path().to_owned();
                let args = vec!["--data-dir".into(), dir.path().display().to_string()];
                (Guard::Dir(dir), args)
            }
            Backend::Postgres => {
                let db = TestDatabase::create(test).await?;
                config.database_url = Some(db.url().to_owned());
                let args = vec!["--database-url".into(), db.url().to_owned()];
                (Guard::Db(db), args)
            }
        };
        configure(&mut config);
        let app = Application::build_on(config, clock).await.unwrap();
        let addr = app.address();
        let syslog = app.syslog();
        let metrics = app.metrics_address();
        let service = app.app().clone();
        let store = service.store().clone();
        let admin = app
            .bootstrap_token()
            .expect("a fresh database bootstraps the admin")
            .to_owned();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            if stopped.await.is_err() {
                // Dropped unused: serve until the test ends.
                std::future::pending::<()>().await;
            }
        }));
        Some(Self {
            addr,
            client: reqwest::Client::new(),
            admin,
            service,
            store,
            backend,
            syslog,
            metrics,
            storage_args,
            vault_dir,
            stop: Some(stop),
            server: Some(server),
            _guard: guard,
        })
    }

    /// Stops the server as `rampart serve` stops on a signal; the returned
    /// task ends when the server has finished.
    pub fn shut_down(&mut self) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.take().expect("the server is stopped only once")
    }

    /// Creates a user with roles and returns an API token for them.
    pub async fn user(&self, name: &str, roles: &[Role]) -> String {
        self.service
            .add_user(&Actor::system(), name, roles.to_vec())
            .await
            .unwrap();
        self.service
            .create_token(&Actor::system(), name)
            .await
            .unwrap()
            .1
    }

    /// Creates a user who can also sign in to the web UI with [`PASSWORD`];
    /// returns their API token.
    pub async fn account(&self, name: &str, roles: &[Role]) -> String {
        let token = self.user(name, roles).await;
        self.service
            .set_password(&Actor::system(), name, PASSWORD)
            .await
            .unwrap();
        token
    }

    /// Sends a request; returns the status and the JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("http://{}{path}", self.addr));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        if status.is_client_error() || status.is_server_error() {
            let ct = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert_eq!(
                ct, "application/problem+json",
                "error {status} without a problem document"
            );
        }
        let text = resp.text().await.unwrap();
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap()
            },
        )
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Posts and insists on the expected status, showing the body otherwise.
    pub async fn post_ok(
        &self,
        path: &str,
        token: &str,
        body: Value,
        expected: StatusCode,
    ) -> Value {
        let (status, json) = self.post(path, token, body).await;
        assert_eq!(status, expected, "POST {path}: {json}");
        json
    }

    /// The journal's length once the jobs due now have run: the
    /// notifications a change calls for are journaled by a job just after
    /// it, so a count taken between the two would move on its own.
    pub async fn journal_len(&self) -> u64 {
        self.service.run_due_jobs().await;
        self.store.journal_head().await.unwrap().0
    }

    /// The actions journaled after entry `seq` (once the jobs due now have
    /// run), leaving out the notifications they called for.
    pub async fn changes_after(&self, seq: u64) -> Vec<String> {
        self.journal_len().await;
        let query = rampart_store::JournalQuery {
            after: seq,
            limit: 1000,
            entity: None,
        };
        let entries = self.store.journal(&query).await.unwrap();
        entries
            .into_iter()
            .map(|e| e.action)
            .filter(|a| !a.starts_with("notification."))
            .collect()
    }

    /// Runs the real `rampart` binary against this app's database.
    pub fn cli(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        all.extend(self.storage_args.iter().cloned());
        std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(&all)
            .env_remove("RAMPART_DATABASE_URL")
            .env_remove("RAMPART_DATA_DIR")
            .env(
                "RAMPART_EVIDENCE_DIR",
                self.vault_dir.path().join("evidence"),
            )
            .env(
                "RAMPART_SIGNING_KEY",
                self.vault_dir.path().join("signing.key"),
            )
            .output()
            .unwrap()
    }

    /// Where the vault keeps content with this SHA-256.
    pub fn blob_path(&self, sha256: &str) -> std::path::PathBuf {
        self.vault_dir
            .path()
            .join("evidence")
            .join(&sha256[0..2])
            .join(&sha256[2..4])
            .join(sha256)
    }

    /// Files in the vault, temporary uploads included.
    pub fn stored_files(&self) -> usize {
        fn walk(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .map(|e| e.unwrap().path())
                        .map(|p| if p.is_dir() { walk(&p) } else { 1 })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(&self.vault_dir.path().join("evidence"))
    }

    /// Changes one byte of stored content, as someone with disk access could.
    pub fn tamper(&self, sha256: &str, at: usize) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.blob_path(sha256);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[at] ^= 0x20;
        std::fs::write(&path, bytes).unwrap();
    }

    /// Runs SQL straight against the database, as an intruder with access could.
    pub async fn raw_sql(&self, statements: &[&str]) {
        use sqlx::Connection;
        match &self._guard {
            Guard::Dir(dir) => {
                let url = format!("sqlite://{}", dir.path().join("rampart.db").display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                for s in statements {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(s.to_string()))
                        .execute(&mut conn)
                        .await
                        .unwrap();
                }
            }
            Guard::Db(db) => {
                let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
                for s in statements {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(s.to_string()))
                        .execute(&mut conn)
                        .await
                        .unwrap();
                }
            }
        }
    }
}

/// The field names of a problem document's errors.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A reported event, as the PoC; returns its number.
pub async fn reported_event(app: &TestApp, poc: &str, title: &str) -> String {
    app.post_ok(
        "/api/v1/events",
        poc,
        json!({"title": title, "description": "seen on the wire"}),
        StatusCode::CREATED,
    )
    .await["number"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A reported and escalated event; returns its number.
pub async fn escalated_event(app: &TestApp, poc: &str, title: &str) -> String {
    let n = reported_event(app, poc, title).await;
    app.post_ok(
        &format!("/api/v1/events/{n}/assessment"),
        poc,
        json!({"decision": "possible_incident", "escalate": true}),
        StatusCode::OK,
    )
    .await;
    n
}

/// Confirms an escalated event as an incident (malware, class II) with
/// `coordinator`; returns the incident's number.
pub async fn confirm_as(
    app: &TestApp,
    member: &str,
    event: &str,
    title: &str,
    coordinator: &str,
) -> String {
    app.post_ok(
        "/api/v1/incidents",
        member,
        json!({"events": [event], "title": title, "category": "malware",
               "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
               "effort": "low", "coordinator": coordinator}),
        StatusCode::CREATED,
    )
    .await["number"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A confirmed incident (malware, class II) from one escalated event; returns its number.
pub async fn incident(
    app: &TestApp,
    poc: &str,
    member: &str,
    coordinator: &str,
    title: &str,
) -> String {
    let n = escalated_event(app, poc, title).await;
    confirm_as(app, member, &n, title, coordinator).await
}

/// An incident of class IV (or, with `iv` false, class I) from a new
/// escalated event, coordinated by `ian`, the organisation aware of it
/// `minutes` ago; returns its number.
pub async fn incident_aware(
    app: &TestApp,
    poc: &str,
    member: &str,
    title: &str,
    iv: bool,
    minutes: i64,
) -> String {
    use rampart_domain::Clock as _;
    let event = escalated_event(app, poc, title).await;
    let severity = if iv {
        json!({"system_importance": "particularly_important", "business_loss": "especially_serious", "social_impact": "minor"})
    } else {
        json!({"system_importance": "ordinary", "business_loss": "minor", "social_impact": "minor"})
    };
    let aware = rampart_domain::SystemClock.now().as_offset() - time::Duration::minutes(minutes);
    app.post_ok(
        "/api/v1/incidents",
        member,
        json!({"events": [event], "title": title, "category": "malware", "severity": severity,
               "effort": "low", "coordinator": "ian",
               "aware_at": rampart_domain::Timestamp::from_offset(aware).to_rfc3339()}),
        StatusCode::CREATED,
    )
    .await["number"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Copies a directory tree, as an operator copying files would.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Waits until `check` holds, for at most ten seconds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A `rampart serve` process of its own, killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    /// `127.0.0.1:<port>`.
    pub addr: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` (the `rampart` binary, configured) as `serve` on a free
/// loopback port, and waits until it is ready.
pub async fn serve(mut command: std::process::Command) -> ServerProcess {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = command
        .args(["serve", "--listen", &addr])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let server = ServerProcess { child, addr };
    rampart_notify::use_ring_for_tls();
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client
            .get(format!("http://{}/readyz", server.addr))
            .send()
            .await
            && r.status() == StatusCode::OK
        {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server at {} did not become ready", server.addr);
}
