//! The SMTP client: settings checked once, then one connection per message.

use std::error::Error as _;
use std::fmt;
use std::io;
use std::net::IpAddr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use url::Url;

use crate::address::{parse_address, reason};

/// Where and how to send mail.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// The server, its security and the login, as one URL:
    ///
    /// - `smtps://user:password@mail.example.org` (TLS from the first byte, port 465),
    /// - `smtp://user:password@mail.example.org:587?tls=required` (STARTTLS, port 587),
    /// - `smtp://127.0.0.1:2525` (plain, for a relay on the same host; port 25 by default).
    ///
    /// `?tls=opportunistic` uses STARTTLS when the server offers it. A
    /// password is accepted without `smtps` or `tls=required` only for a
    /// server on this host. Special characters in the user name or password
    /// are percent-encoded.
    pub url: String,
    /// The sender, e.g. `Rampart <rampart@example.org>`.
    pub from: String,
    /// The limit on one message's whole SMTP exchange, from connecting to the
    /// server's last reply.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &redacted(&self.url))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// One message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// One e-mail address, without a display name.
    pub to: String,
    /// One line; line breaks and other control characters become spaces.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body; sent after the text as the richer alternative.
    pub html: String,
    /// A stable id such as `<notification-abc@rampart>`: sending the same
    /// notification again carries the same id, so a receiver can recognise
    /// the repeat.
    pub message_id: String,
}

/// Sends mail through one SMTP server.
///
/// Cloning is cheap and clones share nothing but settings. Each
/// [`send`](Self::send) opens its own connection and closes it afterwards.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
    /// `host:port`, for error messages.
    server: String,
    /// The URL with the password replaced, for `Debug`.
    shown_url: String,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("url", &self.shown_url)
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SmtpMailer {
    /// Checks the settings; nothing is sent and no connection is made.
    ///
    /// An error names the setting at fault: `smtp_url: …`, `mail_from: …`
    /// or `smtp_timeout: …`. It never contains the password.
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        let server = check_url(&settings.url)?;
        let from = parse_sender(&settings.from)?;
        if settings.timeout.is_zero() {
            return Err("smtp_timeout: must be longer than zero".to_owned());
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.url.trim())
            .map_err(|error| format!("smtp_url: {error}"))?
            .timeout(Some(settings.timeout))
            .build();
        Ok(Self {
            transport,
            from,
            timeout: settings.timeout,
            server,
            shown_url: redacted(&settings.url),
        })
    }

    /// Sends one message: one connection, one attempt, at most the
    /// configured timeout.
    ///
    /// An error says what failed: a field of `mail` (`to: …`,
    /// `message_id: …`), the connection (refused, timed out, TLS), the login,
    /// or the server's refusal with its reply. The caller decides whether
    /// and when to try again; a repeat carries the same `Message-ID`.
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), String> {
        let message = self.compose(mail)?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_reply)) => Ok(()),
            Ok(Err(error)) => Err(describe(&error, &self.server)),
            Err(_elapsed) => Err(format!(
                "timed out: the exchange with {} took longer than {:?}",
                self.server, self.timeout
            )),
        }
    }

    fn compose(&self, mail: &OutgoingMail) -> Result<Message, String> {
        let to = parse_address(&mail.to).map_err(|error| format!("to: {error}"))?;
        let to: Mailbox = to
            .parse()
            .map_err(|error| format!("to: {:?} is not an e-mail address: {error}", mail.to))?;
        let message_id = check_message_id(&mail.message_id)?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(one_line(&mail.subject))
            .message_id(Some(message_id))
            .date_now()
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|error| format!("the message could not be put together: {error}"))
    }
}

/// Checks what lettre would accept silently or explain badly, and returns
/// `host:port` for messages.
fn check_url(raw: &str) -> Result<String, String> {
    let url = Url::parse(raw.trim()).map_err(|error| {
        format!(
            "smtp_url: not a URL ({error}); expected e.g. smtps://user:password@mail.example.org"
        )
    })?;
    let scheme = url.scheme();
    if scheme != "smtp" && scheme != "smtps" {
        return Err(format!(
            "smtp_url: the scheme must be smtp or smtps, not {scheme:?}"
        ));
    }
    let host = url
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or("smtp_url: the mail server's host name is missing")?;
    let mut tls = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "tls" if tls.is_none() => tls = Some(value.into_owned()),
            "tls" => return Err("smtp_url: tls= is given twice".to_owned()),
            other => {
                return Err(format!(
                    "smtp_url: unknown parameter {other:?}; only tls=required or \
                     tls=opportunistic is understood"
                ));
            }
        }
    }
    // Ports as lettre chooses them when the URL names none.
    let (encrypted, default_port) = match (scheme, tls.as_deref()) {
        ("smtps", None) => (true, 465),
        ("smtps", Some(_)) => {
            return Err(
                "smtp_url: smtps:// is encrypted from the first byte; leave out tls=".to_owned(),
            );
        }
        (_, None) => (false, 25),
        (_, Some("required")) => (true, 587),
        (_, Some("opportunistic")) => (false, 587),
        (_, Some(other)) => {
            return Err(format!(
                "smtp_url: tls must be required or opportunistic, not {other:?}"
            ));
        }
    };
    match (url.username().is_empty(), url.password().is_some()) {
        (false, false) => {
            return Err(
                "smtp_url: a user name without a password; write user:password@ before the host"
                    .to_owned(),
            );
        }
        (true, true) => return Err("smtp_url: a password without a user name".to_owned()),
        (false, true) if !encrypted && !is_this_host(host) => {
            return Err(
                "smtp_url: the password would cross the network unencrypted; use smtps:// or \
                 ?tls=required (a plain login is accepted only for a server on this host)"
                    .to_owned(),
            );
        }
        _ => {}
    }
    Ok(format!("{host}:{}", url.port().unwrap_or(default_port)))
}

fn is_this_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The URL as it may be shown: any password replaced.
fn redacted(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(mut url) => {
            if url.password().is_some() {
                // Fails only for URLs that cannot carry a password at all.
                let _ = url.set_password(Some("redacted"));
            }
            url.to_string()
        }
        Err(_) => "(not a URL, not shown)".to_owned(),
    }
}

fn parse_sender(raw: &str) -> Result<Mailbox, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(
            "mail_from: a sender is required, e.g. Rampart <rampart@example.org>".to_owned(),
        );
    }
    trimmed.parse().map_err(|error| {
        format!(
            "mail_from: {trimmed:?} is not a sender like Rampart <rampart@example.org> or \
             rampart@example.org: {}",
            reason(&error)
        )
    })
}

/// A `Message-ID` is `<left@right>` in visible ASCII; anything else could
/// break the header or be rewritten by a relay, and the id must survive
/// unchanged to be recognised.
fn check_message_id(raw: &str) -> Result<String, String> {
    let inner = raw
        .strip_prefix('<')
        .and_then(|rest| rest.strip_suffix('>'));
    let well_formed = inner.is_some_and(|inner| {
        raw.len() <= 250
            && inner
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
            && inner.split_once('@').is_some_and(|(left, right)| {
                !left.is_empty() && !right.is_empty() && !right.contains('@')
            })
    });
    if well_formed {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "message_id: {raw:?} is not an id like <notification-1@rampart> (angle brackets, one \
             @, visible ASCII, at most 250 characters)"
        ))
    }
}

/// A subject is one header line: a line break inside would end the header.
fn one_line(subject: &str) -> String {
    subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// What failed, in words, with the server's reply where there is one.
fn describe(error: &SmtpError, server: &str) -> String {
    if let Some(code) = error.status() {
        let reply = error.source().map(ToString::to_string).unwrap_or_default();
        let code = code.to_string();
        return match code.as_str() {
            // RFC 4954: credentials invalid, mechanism too weak, encryption required.
            "535" | "534" | "538" => {
                format!("authentication at {server} failed: the server replied {code} {reply}")
            }
            _ if error.is_permanent() => {
                format!("{server} refused the message: {code} {reply}")
            }
            _ => format!("{server} turned the message away for now: {code} {reply}"),
        };
    }
    let chain = chain(error);
    if error.is_client() && chain.contains("authentication mechanism") {
        return format!(
            "authentication at {server} failed: the server offers no login this client knows \
             (PLAIN, LOGIN); many servers offer it only after STARTTLS ({chain})"
        );
    }
    if error.is_tls() {
        return format!("TLS with {server} failed: {chain}");
    }
    match io_error_kind(error) {
        Some(io::ErrorKind::ConnectionRefused) => {
            format!("could not connect to {server}: connection refused")
        }
        Some(io::ErrorKind::TimedOut) => format!("timed out connecting to {server}"),
        _ => format!("sending through {server} failed: {chain}"),
    }
}

fn io_error_kind(error: &SmtpError) -> Option<io::ErrorKind> {
    let mut source = error.source();
    while let Some(current) = source {
        if let Some(io_error) = current.downcast_ref::<io::Error>() {
            return Some(io_error.kind());
        }
        source = current.source();
    }
    None
}

/// The error and its causes, each said once. lettre's errors print their
/// source after their own words and may wrap an error of the same kind, which
/// would read "Connection error: Connection error: …".
fn chain(error: &SmtpError) -> String {
    let mut levels = vec![error.to_string()];
    let mut source = error.source();
    while let Some(current) = source {
        levels.push(current.to_string());
        source = current.source();
    }
    let mut words: Vec<&str> = Vec::new();
    for pair in levels.windows(2) {
        let own = match pair[0].strip_suffix(pair[1].as_str()) {
            Some(own) => own.trim_end_matches([':', ' ']),
            None => pair[0].as_str(),
        };
        if !own.is_empty() && words.last() != Some(&own) {
            words.push(own);
        }
    }
    if let Some(innermost) = levels.last()
        && words.last() != Some(&innermost.as_str())
    {
        words.push(innermost);
    }
    words.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> SmtpSettings {
        SmtpSettings {
            url: url.to_owned(),
            from: "Rampart <rampart@example.org>".to_owned(),
            timeout: Duration::from_secs(5),
        }
    }

    fn mail() -> OutgoingMail {
        OutgoingMail {
            to: "ada@example.org".to_owned(),
            subject: "Incident 7".to_owned(),
            text: "text".to_owned(),
            html: "<p>html</p>".to_owned(),
            message_id: "<notification-1@rampart>".to_owned(),
        }
    }

    fn refusal(url: &str) -> String {
        SmtpMailer::new(&settings(url)).unwrap_err()
    }

    #[test]
    fn the_documented_urls_are_accepted() {
        for url in [
            "smtp://user:pass@mail.example.org:587?tls=required",
            "smtp://mail.example.org?tls=opportunistic",
            "smtps://mail.example.org",
            "smtps://us%40er:p%3Ass@mail.example.org:2465/rampart.example.org",
            "smtp://127.0.0.1:2525",
            "smtp://user:pass@localhost:2525",
            "smtp://user:pass@[::1]:2525",
        ] {
            SmtpMailer::new(&settings(url)).unwrap();
        }
    }

    #[test]
    fn a_bad_url_is_refused_naming_the_setting() {
        for (url, expected) in [
            ("mail.example.org", "smtp_url: not a URL"),
            (
                "https://mail.example.org",
                "scheme must be smtp or smtps, not \"https\"",
            ),
            ("smtp://mail.example.org?tls=always", "not \"always\""),
            (
                "smtp://mail.example.org?tls=required&tls=required",
                "given twice",
            ),
            (
                "smtp://mail.example.org?starttls=1",
                "unknown parameter \"starttls\"",
            ),
            ("smtps://mail.example.org?tls=required", "leave out tls="),
            (
                "smtp://user@mail.example.org?tls=required",
                "without a password",
            ),
            (
                "smtp://:secret@mail.example.org?tls=required",
                "without a user name",
            ),
            ("smtp://user:secret@mail.example.org", "unencrypted"),
            (
                "smtp://user:secret@mail.example.org?tls=opportunistic",
                "unencrypted",
            ),
        ] {
            let error = refusal(url);
            assert!(error.starts_with("smtp_url: "), "{url}: {error}");
            assert!(error.contains(expected), "{url}: {error}");
            assert!(!error.contains("secret"), "{url}: {error}");
        }
    }

    #[test]
    fn a_bad_sender_or_timeout_is_refused_naming_the_setting() {
        let mut bad = settings("smtp://127.0.0.1:2525");
        bad.from = "Rampart rampart.example.org".to_owned();
        let error = SmtpMailer::new(&bad).unwrap_err();
        assert!(
            error.starts_with("mail_from: \"Rampart rampart.example.org\""),
            "{error}"
        );
        bad.from = " ".to_owned();
        assert!(
            SmtpMailer::new(&bad)
                .unwrap_err()
                .starts_with("mail_from: a sender is required")
        );
        let mut bad = settings("smtp://127.0.0.1:2525");
        bad.timeout = Duration::ZERO;
        assert_eq!(
            SmtpMailer::new(&bad).unwrap_err(),
            "smtp_timeout: must be longer than zero"
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        let settings = settings("smtps://user:hunter2@mail.example.org");
        let mailer = SmtpMailer::new(&settings).unwrap();
        for shown in [format!("{settings:?}"), format!("{mailer:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(
                shown.contains("smtps://user:redacted@mail.example.org"),
                "{shown}"
            );
        }
        assert!(!format!("{:?}", self::settings("not a url hunter2")).contains("hunter2"));
    }

    #[test]
    fn the_message_has_both_parts_the_id_and_a_date() {
        let mailer = SmtpMailer::new(&settings("smtp://127.0.0.1:2525")).unwrap();
        let formatted = String::from_utf8(mailer.compose(&mail()).unwrap().formatted()).unwrap();
        for expected in [
            "From: Rampart <rampart@example.org>\r\n",
            "To: ada@example.org\r\n",
            "Subject: Incident 7\r\n",
            "Message-ID: <notification-1@rampart>\r\n",
            "Date: ",
            "Content-Type: multipart/alternative;",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Type: text/html; charset=utf-8",
        ] {
            assert!(
                formatted.contains(expected),
                "{expected:?} missing in:\n{formatted}"
            );
        }
        assert!(formatted.find("text/plain") < formatted.find("text/html"));
    }

    #[test]
    fn a_line_break_in_the_subject_cannot_add_a_header() {
        let mailer = SmtpMailer::new(&settings("smtp://127.0.0.1:2525")).unwrap();
        let mut sneaky = mail();
        sneaky.subject = "Incident 7\r\nBcc: eve@example.org".to_owned();
        let formatted = String::from_utf8(mailer.compose(&sneaky).unwrap().formatted()).unwrap();
        assert!(!formatted.contains("\r\nBcc:"), "{formatted}");
        assert!(
            formatted.contains("Subject: Incident 7  Bcc: eve@example.org\r\n"),
            "{formatted}"
        );
    }

    #[test]
    fn a_bad_recipient_or_id_is_refused_naming_the_field() {
        let mailer = SmtpMailer::new(&settings("smtp://127.0.0.1:2525")).unwrap();
        let mut bad = mail();
        bad.to = "ada at example.org".to_owned();
        let error = mailer.compose(&bad).unwrap_err();
        assert!(
            error.starts_with("to: \"ada at example.org\" is not an e-mail address"),
            "{error}"
        );
        for id in [
            "notification-1@rampart",
            "<notification-1>",
            "<a b@rampart>",
            "<a@b@c>",
            "<@b>",
        ] {
            let mut bad = mail();
            bad.message_id = id.to_owned();
            let error = mailer.compose(&bad).unwrap_err();
            assert!(error.starts_with("message_id: "), "{id}: {error}");
        }
    }
}
