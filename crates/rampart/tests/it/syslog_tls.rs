//! Syslog over TLS (RFC 5425) on its own port, on both backends: OpenSSL's
//! own client, checking the receiver's certificate, sends octet-counted
//! messages that become events; a message that cannot be read becomes a
//! dead letter of the TLS transport; a sender speaking plain TCP to the TLS
//! port gets nothing stored and does not stop the receiver; a certificate
//! that cannot be read stops the start with the file named.

use std::path::Path;
use std::process::{Command, Stdio};

use rampart_domain::Role;
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp, eventually};
use crate::syslog::stats;

/// A self-signed certificate for `localhost` and 127.0.0.1, made by the
/// `openssl` command: (certificate, key).
fn certificate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert, key)
}

/// Sends `payload` with `openssl s_client`, which checks the receiver's
/// certificate against `ca`; its exit status and what it printed.
fn send_with_openssl(port: u16, ca: &Path, payload: &[u8]) -> (bool, String) {
    use std::io::Write;
    let mut client = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-verify_return_error", "-verify_hostname", "localhost"])
        .arg("-CAfile")
        .arg(ca)
        .args(["-quiet", "-no_ign_eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client starts");
    client.stdin.take().unwrap().write_all(payload).unwrap();
    let out = client.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// RFC 5425 framing: the length, a space, the message.
fn framed(messages: &[&str]) -> Vec<u8> {
    messages
        .iter()
        .flat_map(|m| format!("{} {m}", m.len()).into_bytes())
        .collect()
}

async fn syslog_over_tls(backend: Backend, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let (c, k) = (cert.clone(), key.clone());
    let Some(app) = TestApp::spawn_with(backend, name, move |config| {
        config.syslog_tls = Some("127.0.0.1:0".parse().unwrap());
        config.syslog_tls_cert = Some(c);
        config.syslog_tls_key = Some(k);
    })
    .await
    else {
        return;
    };
    let aud = app.user("aud", &[Role::Auditor]).await;
    let port = app.syslog.tls.expect("the TLS receiver listens").port();
    assert!(app.syslog.tcp.is_none(), "plain TCP stays off");

    // A sender speaking plain TCP to the TLS port: nothing is stored.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    plain
        .write_all(b"<134>1 2026-11-20T10:00:00Z fw0 ids - - - Sent in the clear\n")
        .await
        .unwrap();
    drop(plain);

    // OpenSSL's client, checking the certificate, sends two messages and
    // one that is not syslog.
    let payload = framed(&[
        "<134>1 2026-11-20T10:00:00Z fw1 ids - - - Port scan from 198.51.100.7",
        "<132>1 2026-11-20T10:00:01Z fw2 vpn - - - Brute force on the VPN",
        "not syslog at all",
    ]);
    let ca = cert.clone();
    let (ok, printed) = tokio::task::spawn_blocking(move || send_with_openssl(port, &ca, &payload))
        .await
        .unwrap();
    assert!(ok, "{printed}");
    eventually("both messages stored", || async {
        stats(&app).await["created"] == 2
    })
    .await;
    let (status, page) = app.get("/api/v1/events?limit=50", &aud).await;
    assert_eq!(status, StatusCode::OK);
    let mut titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    titles.sort_unstable();
    assert_eq!(
        titles,
        ["Brute force on the VPN", "Port scan from 198.51.100.7"]
    );
    eventually("the unreadable message kept as a dead letter", || async {
        let (_, letters) = app.get("/api/v1/intake/dead-letters", &app.admin).await;
        letters["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["transport"] == "syslog-tls")
    })
    .await;

    // A client that does not trust the certificate refuses to send.
    let other = tempfile::tempdir().unwrap();
    let (stranger, _) = certificate(other.path());
    let (ok, _) = tokio::task::spawn_blocking(move || {
        send_with_openssl(port, &stranger, &framed(&["<134>1 - h a - - - never"]))
    })
    .await
    .unwrap();
    assert!(!ok, "an untrusted certificate must fail the client's check");
    assert_eq!(stats(&app).await["created"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syslog_over_tls_on_sqlite() {
    syslog_over_tls(Backend::Sqlite, "syslog_tls_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syslog_over_tls_on_postgres() {
    syslog_over_tls(Backend::Postgres, "syslog_tls_pg").await;
}

#[test]
fn a_certificate_that_cannot_be_read_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let missing = dir.path().join("missing.pem");
    let err = rampart_syslog::tls_config(&missing, &key).unwrap_err();
    assert!(err.contains("missing.pem"), "{err}");
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let err = rampart_syslog::tls_config(&not_pem, &key).unwrap_err();
    assert!(err.contains("not.pem"), "{err}");
    let err = rampart_syslog::tls_config(&cert, &not_pem).unwrap_err();
    assert!(err.contains("not.pem"), "{err}");
    // Another key than the certificate's.
    let other = tempfile::tempdir().unwrap();
    let (_, other_key) = certificate(other.path());
    let err = rampart_syslog::tls_config(&cert, &other_key).unwrap_err();
    assert!(err.contains("do not go together"), "{err}");
    assert!(rampart_syslog::tls_config(&cert, &key).is_ok());
}
