//! SMTP AUTH against a server that requires it.

use std::time::Duration;

use rampart_notify::testing::SmtpSink;

use crate::{mailer, notification};

const USER: &str = "rampart";
const PASSWORD: &str = "s3cret:with@odd/chars%";

#[tokio::test]
async fn the_right_password_logs_in_and_the_message_arrives() {
    let Some(sink) = SmtpSink::start(Some((USER, PASSWORD))) else {
        return;
    };
    mailer(&sink.url()).send(&notification("5")).await.unwrap();

    let received = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].message_id, ["<notification-5@rampart>"]);
}

#[tokio::test]
async fn a_wrong_password_fails_as_authentication_without_showing_it() {
    let Some(sink) = SmtpSink::start(Some((USER, PASSWORD))) else {
        return;
    };
    let url = format!("smtp://{USER}:not-the-password@127.0.0.1:{}", sink.port());

    let error = mailer(&url).send(&notification("5")).await.unwrap_err();

    assert!(error.starts_with("authentication at 127.0.0.1:"), "{error}");
    assert!(error.contains("535"), "{error}");
    assert!(!error.contains("not-the-password"), "{error}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn without_a_login_the_server_says_authentication_is_required() {
    let Some(sink) = SmtpSink::start(Some((USER, PASSWORD))) else {
        return;
    };
    let url = format!("smtp://127.0.0.1:{}", sink.port());

    let error = mailer(&url).send(&notification("5")).await.unwrap_err();

    assert!(error.contains("refused the message: 530"), "{error}");
    assert!(
        error.to_lowercase().contains("authentication required"),
        "{error}"
    );
    assert!(sink.messages().is_empty());
}
