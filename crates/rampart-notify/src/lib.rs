//! Rampart's outgoing notifications: mail and webhooks.
//!
//! - [`SmtpMailer`]: sends one message at a time over SMTP, described by an
//!   [`SmtpSettings`] URL (`smtp://`, `smtp://…?tls=required`, `smtps://`).
//!   Each message is `multipart/alternative` (plain text and HTML, UTF-8)
//!   with the caller's `Message-ID`, so a receiver can recognise a repeat.
//! - [`parse_address`]: checks one e-mail address, as users type it.
//! - [`WebhookClient`]: the one outbound HTTP client. It POSTs a JSON body
//!   signed with [`signature`] (`X-Rampart-Signature`), follows no
//!   redirect, keeps to [`WebhookSettings`]' timeouts and size limit, and
//!   connects only to [public](is_public) addresses unless an admin allowed
//!   private ones for the webhook. [`check_url`] checks a webhook URL as an
//!   admin types it.
//! - `testing` (feature `testing`): a real SMTP server and a real webhook
//!   receiver for tests, in this crate and in others.
//!
//! Errors are plain sentences: the ones from [`SmtpMailer::new`] name the
//! setting (`smtp_url: …`, `mail_from: …`), the ones from
//! [`SmtpMailer::send`] say what failed and quote the server's reply.
//! Neither ever contains the SMTP password. Likewise, the ones from
//! [`WebhookClient::post`] say what failed or was refused and never contain
//! the webhook's secret or its URL's path.

mod address;
mod mailer;
#[cfg(feature = "testing")]
pub mod testing;
mod webhook;

pub use address::parse_address;
pub use mailer::{OutgoingMail, SmtpMailer, SmtpSettings};
pub use webhook::{
    WebhookClient, WebhookRequest, WebhookResponse, WebhookSettings, check_public_host, check_url,
    is_public, signature,
};

/// Makes ring the process's default TLS provider, once. The webhook client
/// brings its own rustls configuration, but the HTTP library is built
/// without a provider of its own, so any other client in the process (the
/// tests', the benchmarks') needs this before it is built.
pub fn use_ring_for_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Already set by someone else: that one stays.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
