//! Real servers for tests, in this crate and in others (feature `testing`):
//! [`SmtpSink`] for mail and [`WebhookReceiver`] for webhooks.
//!
//! [`SmtpSink::start`] runs aiosmtpd (Debian's `python3-aiosmtpd`) on
//! 127.0.0.1 as a child process, which keeps every message it accepts; the
//! child is killed when the [`SmtpSink`] is dropped. Where no python3 can
//! import aiosmtpd, `start` prints a line starting with `skipped:` and
//! returns `None`, so the test can return early; with
//! `RAMPART_REQUIRE_SMTP=1` it fails instead, for CI where the server must
//! be there.
//!
//! The interpreter is `$RAMPART_SMTP_PYTHON` when set, otherwise the first
//! of `python3` on the `PATH` and `/usr/bin/python3` that has aiosmtpd (a
//! Python manager's `python3` often comes first and lacks Debian's modules).
//!
//! Recipients in the domain `rejected.invalid` are refused with `550`, for
//! tests of a refusal.
//!
//! [`WebhookReceiver::start`] serves HTTP/1.1 with hyper on 127.0.0.1 inside
//! the test's tokio runtime, keeps every request and answers each one as its
//! [`Behaviour`] says; [`verify`] checks a request's signature as a
//! receiver would.
#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "test support: a test server that cannot start or read its mail must stop the test"
)]

use std::convert::Infallible;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, LOCATION};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

const SCRIPT: &str = include_str!("testing/smtp_sink.py");
const READY_WITHIN: Duration = Duration::from_secs(20);

/// A running SMTP server that keeps what it receives.
#[derive(Debug)]
pub struct SmtpSink {
    child: Child,
    port: u16,
    login: Option<(String, String)>,
    /// Holds the script, the received mail and the server's log; removed on drop.
    dir: TempDir,
}

/// One message as the server received it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReceivedMail {
    /// The message as transferred, CRLF line ends, after SMTP dot-unstuffing.
    #[serde(skip)]
    pub raw: String,
    /// `MAIL FROM` of the SMTP envelope.
    pub envelope_from: String,
    /// The accepted `RCPT TO` addresses.
    pub envelope_to: Vec<String>,
    /// Every `From` header, decoded (RFC 2047); one, for a sound message.
    pub from: Vec<String>,
    /// Every `To` header, decoded.
    pub to: Vec<String>,
    /// Every `Subject` header, decoded.
    pub subject: Vec<String>,
    /// Every `Message-ID` header.
    pub message_id: Vec<String>,
    /// Every `Date` header.
    pub date: Vec<String>,
    /// The top-level content type, e.g. `multipart/alternative`.
    pub content_type: String,
    /// The `text/plain` body, decoded to text with `\n` line ends.
    pub text: Option<String>,
    /// The `text/html` body, decoded to text with `\n` line ends.
    pub html: Option<String>,
    /// What Python's e-mail parser found wrong with the message; empty for a
    /// sound one.
    pub defects: Vec<String>,
}

impl SmtpSink {
    /// Starts a server on a free port of 127.0.0.1; with `auth`, it accepts
    /// mail only after AUTH PLAIN or LOGIN with that user name and password.
    ///
    /// `None` (after printing `skipped: …`) where aiosmtpd is missing and
    /// `RAMPART_REQUIRE_SMTP` is not `1`. Panics when the server does not
    /// come up.
    pub fn start(auth: Option<(&str, &str)>) -> Option<SmtpSink> {
        Self::start_at(None, auth)
    }

    /// Like [`SmtpSink::start`], on a given port (a server that was down
    /// coming back where it was).
    pub fn start_on(port: u16, auth: Option<(&str, &str)>) -> Option<SmtpSink> {
        Self::start_at(Some(port), auth)
    }

    fn start_at(port: Option<u16>, auth: Option<(&str, &str)>) -> Option<SmtpSink> {
        let required = std::env::var("RAMPART_REQUIRE_SMTP").is_ok_and(|value| value == "1");
        let Some(python) = python_with_aiosmtpd() else {
            let missing = "no python3 that can import aiosmtpd (apt-get install python3-aiosmtpd, \
                           or set RAMPART_SMTP_PYTHON)";
            if required {
                panic!("RAMPART_REQUIRE_SMTP=1, but there is {missing}");
            }
            println!("skipped: {missing}, so there is no SMTP server to send to");
            return None;
        };

        let dir = tempfile::tempdir().expect("a temporary directory for the SMTP server");
        let script = dir.path().join("smtp_sink.py");
        fs::write(&script, SCRIPT).expect("writing the SMTP server's script");
        let inbox = dir.path().join("inbox");
        fs::create_dir(&inbox).expect("creating the SMTP server's inbox");
        let log = File::create(dir.path().join("server.log")).expect("creating the server log");

        let mut command = Command::new(python);
        command
            .arg(&script)
            .arg(&inbox)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log);
        if let Some((user, password)) = auth {
            command.arg("--auth").arg(format!("{user}:{password}"));
        }
        if let Some(port) = port {
            command.arg("--port").arg(port.to_string());
        }
        let mut child = command.spawn().expect("starting the SMTP server");
        let stdout = child.stdout.take().expect("the SMTP server's stdout");
        // From here on, a panic drops the sink, which ends the child.
        let mut sink = SmtpSink {
            child,
            port: 0,
            login: auth.map(|(user, password)| (user.to_owned(), password.to_owned())),
            dir,
        };

        let (ready, announced) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = ready.send(line);
        });
        let line = announced.recv_timeout(READY_WITHIN).unwrap_or_default();
        match line.trim().strip_prefix("ready ").map(str::parse::<u16>) {
            Some(Ok(port)) => sink.port = port,
            _ => panic!(
                "the SMTP server did not report ready within {READY_WITHIN:?} (it printed {line:?}); \
                 its log:\n{}",
                sink.log()
            ),
        }
        Some(sink)
    }

    /// The port the server listens on, at 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:<port>`, with the login given to
    /// [`start`](Self::start), percent-encoded.
    pub fn url(&self) -> String {
        let mut url = url::Url::parse(&format!("smtp://127.0.0.1:{}", self.port))
            .expect("an smtp URL for 127.0.0.1");
        if let Some((user, password)) = &self.login {
            url.set_username(user).expect("a user name in the URL");
            url.set_password(Some(password))
                .expect("a password in the URL");
        }
        url.to_string()
    }

    /// Every message received so far, raw, in the order they arrived.
    pub fn messages(&self) -> Vec<String> {
        self.numbered("eml")
            .into_iter()
            .map(|path| read(&path))
            .collect()
    }

    /// Every message received so far, decoded, in the order they arrived.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.numbered("eml")
            .into_iter()
            .map(|eml| {
                let summary = read(&eml.with_extension("json"));
                let mut mail: ReceivedMail = serde_json::from_str(&summary)
                    .unwrap_or_else(|error| panic!("{}: {error}: {summary}", eml.display()));
                mail.raw = read(&eml);
                mail
            })
            .collect()
    }

    /// Waits until at least `count` messages have arrived and returns them
    /// all; panics after `timeout`. Sleeps on tokio's timer, so the code
    /// that sends can run on the same runtime.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            if started.elapsed() > timeout {
                panic!(
                    "expected {count} message(s) within {timeout:?}, {} arrived; server log:\n{}",
                    received.len(),
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// What the server wrote to its standard error.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The inbox files with this extension, by arrival.
    fn numbered(&self, extension: &str) -> Vec<PathBuf> {
        let inbox = self.dir.path().join("inbox");
        let mut found: Vec<(u64, PathBuf)> = fs::read_dir(&inbox)
            .expect("reading the SMTP server's inbox")
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                if path.extension()? != extension {
                    return None;
                }
                let number = path.file_stem()?.to_str()?.parse().ok()?;
                Some((number, path))
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, path)| path).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(path: &Path) -> String {
    let bytes = fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}

fn python_with_aiosmtpd() -> Option<&'static str> {
    static FOUND: OnceLock<Option<String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let candidates = match std::env::var("RAMPART_SMTP_PYTHON") {
                Ok(chosen) => vec![chosen],
                Err(_) => vec!["python3".to_owned(), "/usr/bin/python3".to_owned()],
            };
            candidates.into_iter().find(|python| {
                Command::new(python)
                    .args(["-c", "import aiosmtpd.controller"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|status| status.success())
            })
        })
        .as_deref()
}

/// How a [`WebhookReceiver`] answers every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// `200 OK` with the body `ok`.
    Ok,
    /// This status with the body `failed on purpose with <status>`.
    Status(u16),
    /// `302 Found` with this `Location` and no body.
    Redirect(String),
    /// `200 OK` with a body of this many bytes, all `x`.
    Huge(usize),
    /// Waits this long, then answers like [`Behaviour::Ok`]. The request is
    /// recorded on arrival, before the wait.
    Slow(Duration),
}

/// One request as the receiver got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// `POST`, for a webhook.
    pub method: String,
    /// The path with the query, e.g. `/webhook?x=1`.
    pub path: String,
    /// Every header in the order received, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    /// The first value of a header, by its name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next()
    }

    /// Every value of a header, by its name in any case.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

/// Whether `request` carries a valid `X-Rampart-Signature` for `secret`,
/// recomputed from its `X-Rampart-Timestamp` header and body as a receiver
/// would. False when either header is missing.
pub fn verify(secret: &str, request: &ReceivedRequest) -> bool {
    match (
        request.header("x-rampart-timestamp"),
        request.header("x-rampart-signature"),
    ) {
        (Some(timestamp), Some(signature)) => {
            crate::webhook::signature_matches(secret, timestamp, &request.body, signature)
        }
        _ => false,
    }
}

/// A running HTTP server on 127.0.0.1 that keeps every request it gets.
/// Stops when dropped.
#[derive(Debug)]
pub struct WebhookReceiver {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<ReceivedRequest>>>,
    server: JoinHandle<()>,
}

impl WebhookReceiver {
    /// Starts a receiver on a free port of 127.0.0.1, in the current tokio
    /// runtime. Panics when it cannot listen.
    pub async fn start(behaviour: Behaviour) -> WebhookReceiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listening on 127.0.0.1 for the webhook receiver");
        let addr = listener
            .local_addr()
            .expect("the webhook receiver's address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let server = tokio::spawn(async move {
            // Dropped with the accept loop, which ends every connection.
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _peer)) = listener.accept().await else {
                    continue;
                };
                while connections.try_join_next().is_some() {}
                let behaviour = behaviour.clone();
                let recorded = Arc::clone(&recorded);
                connections.spawn(async move {
                    let service = service_fn(move |request| {
                        answer(request, behaviour.clone(), Arc::clone(&recorded))
                    });
                    // A client that hangs up early is part of some tests.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        WebhookReceiver {
            addr,
            requests,
            server,
        }
    }

    /// The address it listens on, at 127.0.0.1.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/webhook`.
    pub fn url(&self) -> String {
        format!("http://{}/webhook", self.addr)
    }

    /// Every request received so far, in the order they arrived.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.requests
            .lock()
            .expect("the webhook receiver's record")
            .clone()
    }

    /// Waits until at least `count` requests have arrived and returns them
    /// all; panics after `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedRequest> {
        let started = Instant::now();
        loop {
            let requests = self.requests();
            if requests.len() >= count {
                return requests;
            }
            if started.elapsed() > timeout {
                panic!(
                    "expected {count} request(s) within {timeout:?}, {} arrived",
                    requests.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(
    request: Request<Incoming>,
    behaviour: Behaviour,
    recorded: Arc<Mutex<Vec<ReceivedRequest>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(error) => return Ok(plain(400, format!("the body could not be read: {error}"))),
    };
    recorded
        .lock()
        .expect("the webhook receiver's record")
        .push(ReceivedRequest {
            method: parts.method.to_string(),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), ToString::to_string),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body,
        });
    Ok(match behaviour {
        Behaviour::Ok => plain(200, "ok"),
        Behaviour::Status(code) => plain(code, format!("failed on purpose with {code}")),
        Behaviour::Redirect(location) => {
            let mut response = plain(302, "");
            response.headers_mut().insert(
                LOCATION,
                HeaderValue::from_str(&location).expect("a Location header value"),
            );
            response
        }
        Behaviour::Huge(size) => plain(200, vec![b'x'; size]),
        Behaviour::Slow(delay) => {
            tokio::time::sleep(delay).await;
            plain(200, "ok")
        }
    })
}

fn plain(status: u16, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = StatusCode::from_u16(status).expect("an HTTP status code");
    response
}
