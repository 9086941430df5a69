//! The one outbound HTTP client: signed webhook POSTs to addresses an admin
//! typed in, guarded so that they cannot be turned against this host or its
//! network (SSRF), nor hold a worker with redirects, slow or endless answers.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Response, StatusCode};
use sha2::Sha256;
use url::{Host, Url};

/// RFC 9110 sets no limit; 2048 bytes fits every receiver we know of and
/// keeps a URL readable in a list of subscriptions.
const MAX_URL_LEN: usize = 2048;
const USER_AGENT: &str = "Rampart-Webhook/1";
/// How much of a refusing receiver's body an error quotes.
const QUOTED_CHARS: usize = 200;
const MAX_DELIVERY_ID_LEN: usize = 200;
const ALLOW_PRIVATE_HINT: &str = "an admin may allow private addresses for this webhook";
const EXAMPLE_URL: &str = "https://hooks.example.org/rampart";

/// Limits of the one outbound HTTP client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookSettings {
    /// The limit on one whole request: connecting, sending, the answer and
    /// its body. 10 s by default.
    pub timeout: Duration,
    /// The limit on resolving the host and connecting (TLS included). 5 s by
    /// default.
    pub connect_timeout: Duration,
    /// How much of an answer's body is read; the rest is never read and the
    /// connection is dropped. 64 KiB by default.
    pub max_response_bytes: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: 64 * 1024,
        }
    }
}

/// One POST to make.
#[derive(Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// Where to, as [`check_url`] accepts it.
    pub url: &'a str,
    /// The JSON document to send, as it is signed.
    pub body: &'a [u8],
    /// The key of the `X-Rampart-Signature` HMAC, shared with the receiver.
    pub secret: &'a str,
    /// Sent as `X-Rampart-Delivery`: the same for every attempt at one
    /// delivery, so that a receiver can recognise a repeat. Visible ASCII, at
    /// most 200 characters.
    pub delivery_id: &'a str,
    /// Unix seconds from the caller's clock; signed with the body and sent as
    /// `X-Rampart-Timestamp`, so that a receiver can refuse old replays.
    pub timestamp: i64,
    /// Whether the receiver may be on this host or a private network. Off,
    /// the client connects only to public addresses.
    pub allow_private: bool,
}

impl fmt::Debug for WebhookRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A webhook URL's path often is itself a credential (hooks.slack.com/services/…).
        f.debug_struct("WebhookRequest")
            .field("url", &origin(self.url))
            .field("body", &format_args!("{} bytes", self.body.len()))
            .field("secret", &"redacted")
            .field("delivery_id", &self.delivery_id)
            .field("timestamp", &self.timestamp)
            .field("allow_private", &self.allow_private)
            .finish()
    }
}

/// What the receiver answered (2xx only; anything else is an `Err`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookResponse {
    /// The status, from 200 to 299.
    pub status: u16,
    /// The start of the body, at most `max_response_bytes`, as UTF-8 with
    /// anything else replaced by U+FFFD.
    pub body: String,
}

/// Sends webhooks: the only way Rampart makes HTTP requests to addresses
/// that come from users.
///
/// Every request is one attempt on a fresh connection: no redirects, no
/// proxy from the environment, no retries (the caller decides, with the
/// same delivery id). TLS is rustls on ring with the Mozilla roots compiled
/// in. Cloning is cheap.
#[derive(Clone, Debug)]
pub struct WebhookClient {
    /// Connects only to public addresses, checked by its own resolver.
    guarded: reqwest::Client,
    /// For webhooks an admin allowed to reach private addresses.
    open: reqwest::Client,
    settings: WebhookSettings,
}

impl WebhookClient {
    /// Checks the settings and prepares TLS; nothing is sent.
    pub fn new(settings: WebhookSettings) -> Result<Self, String> {
        if settings.timeout.is_zero() {
            return Err("timeout: must be longer than zero".to_owned());
        }
        if settings.connect_timeout.is_zero() {
            return Err("connect_timeout: must be longer than zero".to_owned());
        }
        let tls = tls_config()?;
        Ok(Self {
            guarded: build(&settings, tls.clone(), true)?,
            open: build(&settings, tls, false)?,
            settings,
        })
    }

    /// Sends one signed POST and returns the receiver's 2xx answer.
    ///
    /// An error is a sentence that says what went wrong: the request
    /// (`url: …`, `delivery_id: …`, `secret: …`), a refused address
    /// (`refused: …`), the connection or a timeout (`timed out after …`), a
    /// redirect (with its `Location`), or another status (with the start of
    /// the body). It never contains the secret, nor the URL's path.
    pub async fn post(&self, request: &WebhookRequest<'_>) -> Result<WebhookResponse, String> {
        let url = parse_url(request.url).map_err(|error| format!("url: {error}"))?;
        check_delivery_id(request.delivery_id)?;
        if request.secret.is_empty() {
            return Err("secret: a webhook is signed, so it needs a secret".to_owned());
        }
        let receiver = receiver(&url);
        let client = if request.allow_private {
            &self.open
        } else {
            // The resolver is not asked about an IP address in the URL.
            if let Some(ip) = literal_ip(&url)
                && let Some(kind) = why_not_public(ip)
            {
                return Err(format!("refused: {ip} is {kind}; {ALLOW_PRIVATE_HINT}"));
            }
            &self.guarded
        };

        let timestamp = request.timestamp.to_string();
        let response = client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header("X-Rampart-Delivery", request.delivery_id)
            .header("X-Rampart-Timestamp", &timestamp)
            .header(
                "X-Rampart-Signature",
                signature(request.secret, request.timestamp, request.body),
            )
            .body(request.body.to_vec())
            .send()
            .await
            .map_err(|error| self.describe(error, &receiver))?;

        let status = response.status();
        if status.is_redirection()
            && let Some(location) = response.headers().get(LOCATION)
        {
            let location = String::from_utf8_lossy(location.as_bytes());
            return Err(format!(
                "{receiver} answered {} with Location {location:?}; redirects are not \
                 followed, so give the webhook its final URL",
                status_text(status)
            ));
        }
        let body = self.read_capped(response).await;
        if status.is_success() {
            let body = body.map_err(|error| self.describe(error, &receiver))?;
            return Ok(WebhookResponse {
                status: status.as_u16(),
                body,
            });
        }
        let status = status_text(status);
        match body {
            Ok(body) if body.is_empty() => {
                Err(format!("{receiver} answered {status} with an empty body"))
            }
            Ok(body) => Err(format!(
                "{receiver} answered {status}: {:?}",
                quoted_start(&body)
            )),
            Err(error) => Err(format!(
                "{receiver} answered {status}; reading its body failed: {}",
                self.describe(error, &receiver)
            )),
        }
    }

    /// Reads at most `max_response_bytes` of the body, chunk by chunk, and
    /// leaves the rest unread.
    async fn read_capped(&self, mut response: Response) -> Result<String, reqwest::Error> {
        let cap = self.settings.max_response_bytes;
        let mut body = Vec::new();
        while body.len() < cap {
            let Some(chunk) = response.chunk().await? else {
                break;
            };
            let room = cap - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// What failed, in words, without the URL that reqwest would quote.
    fn describe(&self, error: reqwest::Error, receiver: &str) -> String {
        let error = error.without_url();
        if let Some(said) = find_source::<Said>(&error) {
            return said.0.clone();
        }
        if error.is_timeout() {
            return if error.is_connect() {
                format!(
                    "timed out after {:?} connecting to {receiver}",
                    self.settings.connect_timeout
                )
            } else {
                format!(
                    "timed out after {:?} waiting for {receiver}",
                    self.settings.timeout
                )
            };
        }
        if error.is_connect() {
            if let Some(tls) = find_source::<rustls::Error>(&error) {
                return format!("TLS with {receiver} failed: {tls}");
            }
            if find_source::<io::Error>(&error)
                .is_some_and(|io| io.kind() == io::ErrorKind::ConnectionRefused)
            {
                return format!("could not connect to {receiver}: connection refused");
            }
            return format!("could not connect to {receiver}: {}", innermost(&error));
        }
        format!("the request to {receiver} failed: {}", chain(&error))
    }
}

/// Checks a subscription URL as an admin types it: http or https only, a
/// host, no `user:password@`, no fragment, at most 2048 bytes. Returns it
/// normalised (host in lower case and punycode, default port left out, `/`
/// for an empty path). Errors are sentences that say what is wrong.
///
/// Whether the host is public is checked when a request is made, since a
/// name's addresses can change.
pub fn check_url(raw: &str) -> Result<String, String> {
    parse_url(raw).map(String::from)
}

/// `sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`: the value of
/// `X-Rampart-Signature`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = keyed(secret);
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `signature_header` is the signature of `timestamp_header` and
/// `body`, compared in constant time; for a receiver, given the headers as
/// they arrived.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn signature_matches(
    secret: &str,
    timestamp_header: &str,
    body: &[u8],
    signature_header: &str,
) -> bool {
    let Some(tag) = signature_header
        .strip_prefix("sha256=")
        .and_then(|hex| hex::decode(hex).ok())
    else {
        return false;
    };
    let mut mac = keyed(secret);
    mac.update(timestamp_header.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&tag).is_ok()
}

#[allow(
    clippy::expect_used,
    reason = "HMAC hashes a long key and pads a short one: every key length is accepted"
)]
fn keyed(secret: &str) -> Hmac<Sha256> {
    Hmac::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length")
}

/// Whether an address is one the client may reach without `allow_private`.
///
/// False for loopback, private (10/8, 172.16/12, 192.168/16), link-local
/// (169.254/16, fe80::/10), shared (CGNAT, 100.64/10), unspecified,
/// broadcast, multicast, documentation and benchmarking ranges, 0.0.0.0/8,
/// 192.0.0.0/24, the 6to4 relay 192.88.99.0/24, 240.0.0.0/4, unique-local
/// fc00::/7, site-local fec0::/10, Teredo 2001::/32, the rest of 2001::/23,
/// local-use NAT64 64:ff9b:1::/48, anything outside the global unicast
/// range 2000::/3, and the IPv4-mapped, IPv4-compatible, IPv4-translated,
/// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) forms of non-public IPv4
/// addresses. IPv4-compatible and IPv4-translated forms are refused even
/// around a public address: no sound host has one.
pub fn is_public(ip: IpAddr) -> bool {
    why_not_public(ip).is_none()
}

/// What kind of non-public address `ip` is, as words that follow "is" or a
/// comma; `None` for a public one.
fn why_not_public(ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V4(ip) => v4_kind(ip).map(str::to_owned),
        IpAddr::V6(ip) => v6_kind(ip),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let kind = match ip.octets() {
        [255, 255, 255, 255] => "the broadcast address",
        [0, 0, 0, 0] => "the unspecified address",
        [0, ..] => "a \"this network\" address (0.0.0.0/8)",
        [10, ..] | [172, 16..=31, ..] | [192, 168, ..] => "a private address",
        [100, 64..=127, ..] => "a shared address (carrier-grade NAT, 100.64.0.0/10)",
        [127, ..] => "a loopback address",
        [169, 254, ..] => "a link-local address",
        [192, 0, 0, _] => "an address reserved for protocol assignments (192.0.0.0/24)",
        [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] => "a documentation address",
        [192, 88, 99, _] => "a 6to4 relay address (192.88.99.0/24)",
        [198, 18..=19, ..] => "a benchmarking address (198.18.0.0/15)",
        [224..=239, ..] => "a multicast address",
        [240..=255, ..] => "a reserved address (240.0.0.0/4)",
        _ => return None,
    };
    Some(kind)
}

fn v6_kind(ip: Ipv6Addr) -> Option<String> {
    // An address that carries an IPv4 address is judged by it.
    let embedded =
        |form: &str, v4: Ipv4Addr| v4_kind(v4).map(|kind| format!("{form} of {v4}, {kind}"));
    let [a, b, c, d, e, f, g, h] = ip.segments();
    let last_32 = Ipv4Addr::from((u32::from(g) << 16) | u32::from(h));
    let kind = match [a, b, c, d, e, f] {
        _ if ip.is_unspecified() => "the unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        [0, 0, 0, 0, 0, 0xffff] => return embedded("the IPv4-mapped form", last_32),
        [0, 0, 0, 0, 0, 0] => {
            return embedded("the IPv4-compatible form", last_32)
                .or_else(|| Some("a deprecated IPv4-compatible address (::/96)".to_owned()));
        }
        [0, 0, 0, 0, 0xffff, 0] => {
            return embedded("the IPv4-translated form", last_32)
                .or_else(|| Some("an IPv4-translated address (::ffff:0:0:0/96)".to_owned()));
        }
        [0x64, 0xff9b, 0, 0, 0, 0] => return embedded("the NAT64 form", last_32),
        [0x64, 0xff9b, 1, ..] => "a local-use NAT64 address (64:ff9b:1::/48)",
        [0x2002, ..] => {
            let v4 = Ipv4Addr::from((u32::from(b) << 16) | u32::from(c));
            return embedded("the 6to4 form", v4);
        }
        [0x2001, 0, ..] => "a Teredo tunnel address (2001::/32)",
        [0x2001, 0x0db8, ..] => "a documentation address",
        [0x2001, 0..=0x01ff, ..] => "an address reserved for protocol assignments (2001::/23)",
        [0x3fff, 0..=0x0fff, ..] => "a documentation address",
        _ if a & 0xfe00 == 0xfc00 => "a unique-local address (fc00::/7)",
        _ if a & 0xffc0 == 0xfe80 => "a link-local address",
        _ if a & 0xffc0 == 0xfec0 => "a site-local address (fec0::/10)",
        _ if a & 0xff00 == 0xff00 => "a multicast address",
        _ if a & 0xe000 != 0x2000 => {
            "a reserved address (outside the global unicast range 2000::/3)"
        }
        _ => return None,
    };
    Some(kind.to_owned())
}

fn parse_url(raw: &str) -> Result<Url, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(format!("a URL is required, e.g. {EXAMPLE_URL}"));
    }
    if trimmed.len() > MAX_URL_LEN {
        return Err(too_long(trimmed.len()));
    }
    // The input is not quoted back: it may hold a password or a token.
    let url = Url::parse(trimmed).map_err(|error| match error {
        url::ParseError::RelativeUrlWithoutBase => {
            format!("not a URL: it needs a scheme and a host, e.g. {EXAMPLE_URL}")
        }
        url::ParseError::EmptyHost => format!("the host is missing, e.g. {EXAMPLE_URL}"),
        other => format!("not a URL ({other}); expected e.g. {EXAMPLE_URL}"),
    })?;
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(format!("the scheme must be http or https, not {scheme:?}"));
    }
    if url.host().is_none() {
        return Err(format!("the host is missing, e.g. {EXAMPLE_URL}"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "a user name or password in the URL (user:password@) is not allowed; a receiver \
             checks the X-Rampart-Signature header instead"
                .to_owned(),
        );
    }
    if url.fragment().is_some() {
        return Err(
            "the URL has a fragment (#…), which is never sent to the receiver; leave it out"
                .to_owned(),
        );
    }
    if url.port() == Some(0) {
        return Err("port 0 cannot be connected to".to_owned());
    }
    if url.as_str().len() > MAX_URL_LEN {
        return Err(too_long(url.as_str().len()));
    }
    Ok(url)
}

fn too_long(len: usize) -> String {
    format!("a URL has at most {MAX_URL_LEN} bytes, this one has {len}")
}

fn check_delivery_id(id: &str) -> Result<(), String> {
    let sound = !id.is_empty()
        && id.len() <= MAX_DELIVERY_ID_LEN
        && id.bytes().all(|byte| byte.is_ascii_graphic());
    if sound {
        Ok(())
    } else {
        Err(format!(
            "delivery_id: {id:?} is not an id of 1 to {MAX_DELIVERY_ID_LEN} visible ASCII \
             characters"
        ))
    }
}

/// Whether a webhook URL's host is one the guarded client would reach:
/// an IP address in the URL is checked as it is, a name is resolved now
/// and every address it gives must be public. For admins subscribing a
/// webhook: the client checks again on every post.
pub async fn check_public_host(raw: &str) -> Result<(), String> {
    let url = parse_url(raw)?;
    if let Some(ip) = literal_ip(&url) {
        return match why_not_public(ip) {
            Some(kind) => Err(format!("refused: {ip} is {kind}; {ALLOW_PRIVATE_HINT}")),
            None => Ok(()),
        };
    }
    let host = url.host_str().unwrap_or_default();
    resolve(host, true).await.map(|_| ()).map_err(|said| said.0)
}

fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    }
}

/// `host:port`, for messages: the path may be a credential.
fn receiver(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// `scheme://host:port` and whether a path follows, for `Debug`.
fn origin(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(url) => {
            let origin = url.origin().ascii_serialization();
            if url.path() == "/" && url.query().is_none() {
                origin
            } else {
                format!("{origin}/…")
            }
        }
        Err(_) => "(not a URL, not shown)".to_owned(),
    }
}

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

fn quoted_start(body: &str) -> String {
    let mut chars = body.chars();
    let start: String = chars.by_ref().take(QUOTED_CHARS).collect();
    if chars.next().is_some() {
        format!("{start}…")
    } else {
        start
    }
}

/// An error whose words are already the sentence to show: it comes back
/// through reqwest and hyper wrapped, and is found again by its type.
#[derive(Debug)]
struct Said(String);

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Said {}

/// The first error of type `E` among `error`'s causes. An `io::Error` that
/// wraps another error names that error's cause as its source, not the
/// error itself, so the wrapped one is looked at too.
fn find_source<'e, E: StdError + 'static>(error: &'e (dyn StdError + 'static)) -> Option<&'e E> {
    let mut current = Some(error);
    while let Some(level) = current {
        if let Some(found) = level.downcast_ref::<E>() {
            return Some(found);
        }
        current = match level
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
        {
            Some(wrapped) => Some(wrapped as &(dyn StdError + 'static)),
            None => level.source(),
        };
    }
    None
}

/// The deepest cause: what reqwest and hyper wrap it in says only that a
/// request or a connection failed.
fn innermost(error: &(dyn StdError + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// The error and its causes, each said once.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(level) = current {
        let said = level.to_string();
        if words.last() != Some(&said) {
            words.push(said);
        }
        current = level.source();
    }
    words.join(": ")
}

/// Resolves with the system's resolver (through tokio) and, for the
/// guarded client, hands hyper only addresses that passed the check: what
/// is checked is what is connected to, whatever DNS answers next time.
#[derive(Debug, Clone, Copy)]
struct Resolver {
    public_only: bool,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let public_only = self.public_only;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            match resolve(&host, public_only).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                Err(said) => Err(Box::new(said) as Box<dyn StdError + Send + Sync>),
            }
        })
    }
}

async fn resolve(host: &str, public_only: bool) -> Result<Vec<SocketAddr>, Said> {
    if public_only && is_localhost(host) {
        return Err(Said(format!(
            "refused: {host} is a name for this host; {ALLOW_PRIVATE_HINT}"
        )));
    }
    let addrs = lookup(host).await?;
    if public_only {
        check_resolved(host, &addrs)?;
    }
    Ok(addrs)
}

/// RFC 6761: `localhost` and names under it are this host, whatever a
/// resolver makes of them; they are refused without asking one.
fn is_localhost(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

async fn lookup(host: &str) -> Result<Vec<SocketAddr>, Said> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|error| Said(format!("could not resolve {host}: {error}")))?
        .collect();
    if addrs.is_empty() {
        return Err(Said(format!("could not resolve {host}: no addresses")));
    }
    Ok(addrs)
}

/// Every address must be public: one private answer among public ones is
/// still a way in.
fn check_resolved(host: &str, addrs: &[SocketAddr]) -> Result<(), Said> {
    for addr in addrs {
        if let Some(kind) = why_not_public(addr.ip()) {
            return Err(Said(format!(
                "refused: {host} resolves to {}, {kind}; {ALLOW_PRIVATE_HINT}",
                addr.ip()
            )));
        }
    }
    Ok(())
}

fn tls_config() -> Result<rustls::ClientConfig, String> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| format!("TLS could not be set up: {error}"))?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

fn build(
    settings: &WebhookSettings,
    tls: rustls::ClientConfig,
    public_only: bool,
) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .dns_resolver(Resolver { public_only })
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        // A fresh connection per request: each one passes the resolver's check.
        .pool_max_idle_per_host(0)
        .timeout(settings.timeout)
        .connect_timeout(settings.connect_timeout)
        .user_agent(USER_AGENT)
        .build()
        .map_err(|error| format!("the webhook client could not be built: {}", chain(&error)))
}

#[cfg(test)]
mod tests;
