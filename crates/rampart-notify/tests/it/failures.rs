//! Servers that are not there or do not answer, and settings that cannot work.

use std::time::{Duration, Instant};

use rampart_notify::testing::SmtpSink;
use rampart_notify::{SmtpMailer, SmtpSettings};
use tokio::net::TcpListener;

use crate::{mailer, notification, settings};

#[tokio::test]
async fn a_server_that_is_not_listening_is_reported_at_once() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let started = Instant::now();

    let error = mailer(&format!("smtp://127.0.0.1:{port}"))
        .send(&notification("1"))
        .await
        .unwrap_err();

    assert_eq!(
        error,
        format!("could not connect to 127.0.0.1:{port}: connection refused")
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts connections and holds them without a greeting.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mailer = SmtpMailer::new(&SmtpSettings {
        timeout: Duration::from_millis(300),
        ..settings(&format!("smtp://127.0.0.1:{port}"))
    })
    .unwrap();
    let started = Instant::now();

    let error = mailer.send(&notification("1")).await.unwrap_err();

    assert_eq!(
        error,
        format!("timed out: the exchange with 127.0.0.1:{port} took longer than 300ms")
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    silent.abort();
}

#[tokio::test]
async fn tls_the_server_cannot_do_fails_instead_of_sending_in_the_clear() {
    let Some(sink) = SmtpSink::start(None) else {
        return;
    };
    let port = sink.port();

    let error = mailer(&format!("smtp://127.0.0.1:{port}?tls=required"))
        .send(&notification("1"))
        .await
        .unwrap_err();
    assert!(error.contains("STARTTLS is not supported"), "{error}");

    let error = mailer(&format!("smtps://127.0.0.1:{port}"))
        .send(&notification("1"))
        .await
        .unwrap_err();
    assert!(
        error.starts_with(&format!("sending through 127.0.0.1:{port} failed: ")),
        "{error}"
    );
    assert!(
        !error.contains("Connection error: Connection error"),
        "{error}"
    );

    assert!(sink.messages().is_empty());
}

#[test]
fn settings_that_cannot_work_are_refused_naming_the_setting() {
    let refused = |settings: SmtpSettings| SmtpMailer::new(&settings).unwrap_err();

    let error = refused(settings("http://mail.example.org"));
    assert!(
        error.starts_with("smtp_url: the scheme must be smtp or smtps"),
        "{error}"
    );
    let error = refused(settings("smtp://mail.example.org?tls=maybe"));
    assert!(
        error.starts_with("smtp_url: tls must be required or opportunistic"),
        "{error}"
    );
    let error = refused(SmtpSettings {
        from: "rampart at example.org".to_owned(),
        ..settings("smtps://mail.example.org")
    });
    assert!(
        error.starts_with("mail_from: \"rampart at example.org\""),
        "{error}"
    );
}
