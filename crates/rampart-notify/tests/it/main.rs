//! Sending mail to a real SMTP server (aiosmtpd, see `rampart_notify::testing`)
//! and to sockets that misbehave, and webhooks to a real HTTP receiver.

#![allow(clippy::unwrap_used, reason = "test code")]

mod delivery;
mod failures;
mod login;
mod webhook;

use std::time::Duration;

use rampart_notify::{OutgoingMail, SmtpMailer, SmtpSettings};

fn mailer(url: &str) -> SmtpMailer {
    SmtpMailer::new(&settings(url)).unwrap()
}

fn settings(url: &str) -> SmtpSettings {
    SmtpSettings {
        url: url.to_owned(),
        from: "Rampart <rampart@example.org>".to_owned(),
        timeout: Duration::from_secs(10),
    }
}

fn notification(id: &str) -> OutgoingMail {
    OutgoingMail {
        to: "ada@example.org".to_owned(),
        subject: format!("Incident {id} needs triage"),
        text: format!("Incident {id} was opened.\n"),
        html: format!("<p>Incident {id} was opened.</p>\n"),
        message_id: format!("<notification-{id}@rampart>"),
    }
}
