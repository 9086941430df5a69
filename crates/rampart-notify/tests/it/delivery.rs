//! What arrives, and how often.

use std::time::Duration;

use rampart_notify::testing::SmtpSink;

use crate::{mailer, notification};

#[tokio::test]
async fn a_message_arrives_once_with_its_headers_and_both_parts_intact() {
    let Some(sink) = SmtpSink::start(None) else {
        return;
    };
    let mut mail = notification("42");
    mail.to = " Ada.Lovelace@Example.ORG ".to_owned();
    mail.subject = "Überprüfung – café ☕ for incident 42".to_owned();
    // A line with a leading dot (SMTP's end marker), one over SMTP's 998
    // octet limit, and text that is not ASCII.
    let long_line = "x".repeat(2000);
    mail.text = format!(
        "Überprüfung – café\n.\n.leading dot\nFrom the start of a line\n{long_line}\nend\n"
    );
    mail.html = "<p>Überprüfung – <b>café</b></p>\n<p>.</p>\n".to_owned();

    mailer(&sink.url()).send(&mail).await.unwrap();

    let received = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert!(got.defects.is_empty(), "{:?}\n{}", got.defects, got.raw);
    assert_eq!(got.envelope_from, "rampart@example.org");
    assert_eq!(got.envelope_to, ["Ada.Lovelace@example.org"]);
    assert_eq!(got.from, ["Rampart <rampart@example.org>"]);
    assert_eq!(got.to, ["Ada.Lovelace@example.org"]);
    assert_eq!(got.subject, [mail.subject.as_str()]);
    assert_eq!(got.message_id, ["<notification-42@rampart>"]);
    assert_eq!(got.date.len(), 1, "{}", got.raw);
    assert_eq!(got.content_type, "multipart/alternative");
    assert_eq!(got.text.as_deref(), Some(mail.text.as_str()));
    assert_eq!(got.html.as_deref(), Some(mail.html.as_str()));

    let raw = &got.raw;
    assert_eq!(raw.matches("\r\nMessage-ID: ").count(), 1, "{raw}");
    assert!(
        raw.contains("Content-Type: text/plain; charset=utf-8"),
        "{raw}"
    );
    assert!(
        raw.contains("Content-Type: text/html; charset=utf-8"),
        "{raw}"
    );
    assert!(
        raw.find("text/plain") < raw.find("text/html"),
        "the richer part comes last"
    );
    assert!(
        raw.split("\r\n").all(|line| line.len() <= 998),
        "no line over SMTP's limit"
    );
    assert_eq!(sink.messages(), std::slice::from_ref(raw));
}

#[tokio::test]
async fn each_send_delivers_exactly_one_message_and_a_repeat_keeps_its_id() {
    let Some(sink) = SmtpSink::start(None) else {
        return;
    };
    let mailer = mailer(&sink.url());
    let copy = mailer.clone();

    mailer.send(&notification("1")).await.unwrap();
    assert_eq!(
        sink.messages().len(),
        1,
        "the server has it when send returns"
    );
    copy.send(&notification("2")).await.unwrap();
    mailer.send(&notification("1")).await.unwrap();

    let received = sink.wait_for(3, Duration::from_secs(5)).await;
    let ids: Vec<_> = received
        .iter()
        .map(|mail| mail.message_id.concat())
        .collect();
    assert_eq!(
        ids,
        [
            "<notification-1@rampart>",
            "<notification-2@rampart>",
            "<notification-1@rampart>"
        ]
    );
    let subjects: Vec<_> = received.iter().map(|mail| mail.subject.concat()).collect();
    assert_eq!(
        subjects,
        [
            "Incident 1 needs triage",
            "Incident 2 needs triage",
            "Incident 1 needs triage"
        ]
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 3, "nothing more arrives later");
}

#[tokio::test]
async fn a_recipient_the_server_refuses_gives_its_reply() {
    let Some(sink) = SmtpSink::start(None) else {
        return;
    };
    let mut mail = notification("9");
    mail.to = "nobody@rejected.invalid".to_owned();

    let error = mailer(&sink.url()).send(&mail).await.unwrap_err();

    assert!(error.contains("refused the message"), "{error}");
    assert!(
        error.contains("550")
            && error.contains("<nobody@rejected.invalid>: Recipient address rejected"),
        "{error}"
    );
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_bad_recipient_is_refused_before_anything_is_sent() {
    let Some(sink) = SmtpSink::start(None) else {
        return;
    };
    let mailer = mailer(&sink.url());
    for (to, expected) in [
        (
            "ada.example.org",
            "to: \"ada.example.org\" is not an e-mail address",
        ),
        (
            "Ada <ada@example.org>",
            "to: \"Ada <ada@example.org>\" is not a plain e-mail address",
        ),
        ("", "to: an e-mail address is required"),
    ] {
        let mut mail = notification("3");
        mail.to = to.to_owned();
        let error = mailer.send(&mail).await.unwrap_err();
        assert!(error.starts_with(expected), "{to:?}: {error}");
    }
    let mut mail = notification("3");
    mail.message_id = "notification-3".to_owned();
    let error = mailer.send(&mail).await.unwrap_err();
    assert!(error.starts_with("message_id: "), "{error}");
    assert!(sink.messages().is_empty());
}
