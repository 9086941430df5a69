//! The syslog receiver: RFC 5424 and RFC 3164 messages over UDP, TCP and
//! TLS (RFC 5425, on a port of its own; newline or octet-counting framing on
//! both), CEF payloads mapped into events.
//! Off unless configured. A message that cannot be taken in never stops the
//! receiver: it is counted and kept as a dead letter with the reason.
//! Messages that arrive together are taken in together, so their events
//! share commits.
//!
//! No sender can shut others out: each source address has a message rate
//! (TCP senders beyond it wait, UDP messages beyond it are dropped and
//! counted) and a share of the TCP connections, and a TCP connection that
//! stays silent, or trickles a message too slowly, is closed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use rampart_domain::{Actor, EventReport, Role};
use rampart_intake::framing::Framer;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use rampart_app::intake::Intake;
use rampart_app::intake::{SYSLOG_ACTOR, SyslogCounters};
use rampart_app::limits::KeyedLimit;
use rampart_app::{App, AppError};

/// Most messages taken in together.
const MAX_GROUP: usize = 1_000;
/// UDP messages waiting to be taken in before new ones are dropped.
const UDP_QUEUE: usize = 50_000;
/// Bytes of UDP messages waiting, at most: a flood of large datagrams is
/// dropped rather than held in memory.
const UDP_QUEUE_BYTES: usize = 64 * 1024 * 1024;
/// Sources whose rate is remembered at once, about (see [`KeyedLimit`]).
const MAX_SOURCES: usize = 100_000;

/// Syslog over TLS (RFC 5425): where, and the server's certificate.
#[derive(Debug, Clone)]
pub struct TlsListener {
    pub addr: SocketAddr,
    pub config: Arc<rustls::ServerConfig>,
}

/// The TLS server set-up of a certificate chain and its private key, both
/// PEM files; what is wrong with them, named, when they do not make one.
pub fn tls_config(
    certificate: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(certificate)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("{}: {e}", certificate.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "{}: holds no PEM certificate",
            certificate.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map(Arc::new)
        .map_err(|e| format!("the certificate and key do not go together: {e}"))
}

/// Where and how the receiver listens.
#[derive(Debug, Clone)]
pub struct SyslogSettings {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    /// Syslog over TLS, on its own port [default: off].
    pub tls: Option<TlsListener>,
    /// Largest message, in bytes; a longer one is a dead letter.
    pub max_message: usize,
    /// Messages per second one source address may send (with a burst of as many).
    pub rate_per_source: u32,
    /// Most TCP connections at once.
    pub max_connections: usize,
    /// Most TCP connections at once from one source address, so that one
    /// address cannot take every connection.
    pub max_connections_per_source: usize,
    /// A TCP connection on which nothing arrives for this long is closed.
    pub idle_timeout: Duration,
    /// A message begun on a TCP connection must have arrived whole after
    /// this much time spent waiting for its bytes, or the connection is
    /// closed: a sender trickling a byte at a time cannot hold it for ever.
    pub frame_timeout: Duration,
}

impl Default for SyslogSettings {
    fn default() -> Self {
        Self {
            udp: None,
            tcp: None,
            tls: None,
            max_message: 64 * 1024,
            rate_per_source: 20_000,
            max_connections: 256,
            max_connections_per_source: 32,
            idle_timeout: Duration::from_secs(60),
            frame_timeout: Duration::from_secs(30),
        }
    }
}

/// The addresses the receiver listens on (useful when a port was 0).
#[derive(Debug, Clone, Copy)]
pub struct Listening {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub tls: Option<SocketAddr>,
}

/// The receiver's shared parts.
#[derive(Debug)]
struct Receiver {
    app: Arc<App>,
    settings: SyslogSettings,
    actor: Actor,
    /// Messages per source address.
    limit: KeyedLimit<IpAddr>,
}

/// Starts the receiver on the configured addresses.
pub async fn start(app: Arc<App>, settings: SyslogSettings) -> std::io::Result<Listening> {
    let rate = NonZeroU32::new(settings.rate_per_source).unwrap_or(NonZeroU32::MIN);
    let receiver = Arc::new(Receiver {
        actor: Actor::new(SYSLOG_ACTOR, vec![Role::Reporter]),
        limit: KeyedLimit::per_second(rate, rate).with_max_keys(MAX_SOURCES),
        app,
        settings,
    });
    let mut listening = Listening {
        udp: None,
        tcp: None,
        tls: None,
    };
    if let Some(addr) = receiver.settings.udp {
        let socket = UdpSocket::bind(addr).await?;
        listening.udp = Some(socket.local_addr()?);
        let (tx, rx) = mpsc::channel(UDP_QUEUE);
        let queued = Arc::new(AtomicUsize::new(0));
        tokio::spawn(udp_receive(receiver.clone(), socket, tx, queued.clone()));
        tokio::spawn(udp_ingest(receiver.clone(), rx, queued));
    }
    if let Some(addr) = receiver.settings.tcp {
        let listener = TcpListener::bind(addr).await?;
        listening.tcp = Some(listener.local_addr()?);
        tokio::spawn(tcp_accept(receiver.clone(), listener, None));
    }
    if let Some(tls) = &receiver.settings.tls {
        let listener = TcpListener::bind(tls.addr).await?;
        listening.tls = Some(listener.local_addr()?);
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.config.clone());
        tokio::spawn(tcp_accept(receiver.clone(), listener, Some(acceptor)));
    }
    if listening.udp.is_some() || listening.tcp.is_some() || listening.tls.is_some() {
        tracing::info!(udp = ?listening.udp, tcp = ?listening.tcp, tls = ?listening.tls, "syslog receiver listening");
    }
    Ok(listening)
}

impl Receiver {
    fn counters(&self) -> &SyslogCounters {
        self.app.syslog_counters()
    }

    /// Parses and maps one message; a refusal carries the dead letter's reason.
    fn decode(&self, raw: &[u8]) -> Result<EventReport, String> {
        let now = self.app.clock().now();
        let message = rampart_intake::syslog::parse(raw, now).map_err(|e| e.to_string())?;
        rampart_intake::shapes::from_syslog(&message, now).map_err(|e| e.to_string())
    }

    /// Waits until `source` may send `messages` more, a burst at a time.
    async fn wait_for_rate(&self, source: IpAddr, mut messages: usize) {
        let burst = self.limit.burst().get();
        while messages > 0 {
            let piece = u32::try_from(messages).unwrap_or(u32::MAX).min(burst);
            while let Err(wait) = self.limit.check_n(&source, piece) {
                tokio::time::sleep(wait).await;
            }
            messages -= piece as usize;
        }
    }

    async fn dead_letter(&self, transport: &str, peer: SocketAddr, reason: &str, raw: &[u8]) {
        self.counters().dead_letters.fetch_add(1, Ordering::Relaxed);
        let kept = &raw[..raw.len().min(self.settings.max_message)];
        if let Err(e) = self
            .app
            .dead_letter(transport, &peer.ip().to_string(), reason, kept)
            .await
        {
            tracing::error!(error = %e, %peer, "dead letter not kept");
        }
    }

    /// Takes in messages that arrived together. Returns false when storage
    /// failed, so a TCP sender can be told by the connection closing.
    async fn take_in(
        &self,
        transport: &str,
        messages: Vec<(SocketAddr, Result<Vec<u8>, String>)>,
    ) -> bool {
        let counters = self.counters();
        counters
            .received
            .fetch_add(messages.len() as u64, Ordering::Relaxed);
        let mut reports = Vec::with_capacity(messages.len());
        let mut origins = Vec::with_capacity(messages.len());
        for (peer, raw) in messages {
            match raw {
                Ok(raw) => match self.decode(&raw) {
                    Ok(report) => {
                        reports.push(Ok(report));
                        origins.push((peer, raw));
                    }
                    Err(reason) => self.dead_letter(transport, peer, &reason, &raw).await,
                },
                Err(reason) => {
                    self.dead_letter(transport, peer, &reason, reason.as_bytes())
                        .await;
                }
            }
        }
        let outcomes = self.app.ingest_many(&self.actor, reports).await;
        let mut stored = true;
        for ((peer, raw), outcome) in origins.into_iter().zip(outcomes) {
            match outcome {
                Ok(Intake::Created(_)) => {
                    counters.created.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Intake::Duplicate(_)) => {
                    counters.duplicates.fetch_add(1, Ordering::Relaxed);
                }
                Err(AppError::Domain(e)) => {
                    let reason = format!("refused: {e}");
                    self.dead_letter(transport, peer, &reason, &raw).await;
                }
                Err(e) => {
                    counters.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(error = %e.chain(), %peer, "syslog message not stored");
                    stored = false;
                }
            }
        }
        stored
    }
}

async fn udp_receive(
    receiver: Arc<Receiver>,
    socket: UdpSocket,
    queue: mpsc::Sender<(SocketAddr, Result<Vec<u8>, String>)>,
    queued: Arc<AtomicUsize>,
) {
    // One byte more than allowed tells a too-long datagram from one that fits.
    let mut buf = vec![0u8; receiver.settings.max_message + 1];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            Err(e) => {
                tracing::warn!(error = %e, "syslog UDP receive failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let item = if n > receiver.settings.max_message {
            Err(format!(
                "message longer than {} bytes",
                receiver.settings.max_message
            ))
        } else {
            Ok(buf[..n].to_vec())
        };
        let size = item.as_ref().map_or(0, Vec::len);
        let room = queued.load(Ordering::Relaxed) + size <= UDP_QUEUE_BYTES;
        let sent = room
            && receiver.limit.check(&source(peer)).is_ok()
            && queue.try_send((peer, item)).is_ok();
        if sent {
            queued.fetch_add(size, Ordering::Relaxed);
        } else {
            receiver.counters().dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn udp_ingest(
    receiver: Arc<Receiver>,
    mut queue: mpsc::Receiver<(SocketAddr, Result<Vec<u8>, String>)>,
    queued: Arc<AtomicUsize>,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while queue.recv_many(&mut group, MAX_GROUP).await > 0 {
        let size: usize = group
            .iter()
            .map(|(_, item)| item.as_ref().map_or(0, Vec::len))
            .sum();
        receiver
            .take_in("syslog-udp", std::mem::take(&mut group))
            .await;
        // Counted until taken in, so the group being stored counts too.
        queued.fetch_sub(size, Ordering::Relaxed);
    }
}

/// The TCP connections being served: how many in all and from each source.
#[derive(Debug)]
struct Connections {
    max: usize,
    max_per_source: usize,
    open: std::sync::Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
struct Slot {
    connections: Arc<Connections>,
    source: IpAddr,
}

impl Connections {
    fn new(settings: &SyslogSettings) -> Arc<Self> {
        Arc::new(Self {
            max: settings.max_connections,
            max_per_source: settings.max_connections_per_source,
            open: std::sync::Mutex::default(),
        })
    }

    fn open(&self) -> std::sync::MutexGuard<'_, (usize, HashMap<IpAddr, usize>)> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a connection from `source`, or why there is none.
    fn admit(self: &Arc<Self>, source: IpAddr) -> Result<Slot, &'static str> {
        let mut open = self.open();
        let (total, per_source) = &mut *open;
        if *total >= self.max {
            return Err("too many connections");
        }
        let from_source = per_source.entry(source).or_insert(0);
        if *from_source >= self.max_per_source {
            return Err("too many connections from this address");
        }
        *from_source += 1;
        *total += 1;
        Ok(Slot {
            connections: self.clone(),
            source,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.connections.open();
        let (total, per_source) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = per_source.get_mut(&self.source) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_source.remove(&self.source);
            }
        }
    }
}

/// The address a sender is counted under: an IPv4 address reaching a
/// dual-stack socket as `::ffff:a.b.c.d` is the same sender as `a.b.c.d`.
fn source(peer: SocketAddr) -> IpAddr {
    peer.ip().to_canonical()
}

/// Serves the connections of one listener: plain TCP, or TLS when there is
/// an acceptor (each with its own connection limits).
async fn tcp_accept(
    receiver: Arc<Receiver>,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let connections = Connections::new(&receiver.settings);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(got) => got,
            Err(e) => {
                tracing::warn!(error = %e, "syslog TCP accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let slot = match connections.admit(source(peer)) {
            Ok(slot) => slot,
            Err(why) => {
                tracing::warn!(%peer, "syslog TCP connection refused: {why}");
                continue;
            }
        };
        let receiver = receiver.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => tcp_connection(&receiver, stream, peer, "syslog-tcp").await,
                Some(acceptor) => {
                    // A handshake is a message like any other: it must
                    // arrive whole in time.
                    let limit = receiver.settings.frame_timeout;
                    match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            tcp_connection(&receiver, stream, peer, "syslog-tls").await;
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(%peer, error = %e, "syslog TLS handshake failed");
                        }
                        Err(_) => {
                            tracing::warn!(%peer, "syslog TLS handshake took too long");
                        }
                    }
                }
            }
            drop(slot);
        });
    }
}

async fn tcp_connection<S: AsyncRead + Unpin>(
    receiver: &Receiver,
    mut stream: S,
    peer: SocketAddr,
    transport: &str,
) {
    let settings = &receiver.settings;
    let mut framer = Framer::new(settings.max_message);
    let mut buf = vec![0u8; 64 * 1024];
    // Time spent waiting for the rest of the frame begun (not time spent
    // storing, or waiting for the rate, which is Rampart's doing).
    let mut frame_waited = Duration::ZERO;
    loop {
        let was_in_frame = framer.in_frame();
        let limit = if was_in_frame {
            settings
                .idle_timeout
                .min(settings.frame_timeout.saturating_sub(frame_waited))
        } else {
            settings.idle_timeout
        };
        let started = Instant::now();
        let n = match tokio::time::timeout(limit, stream.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, %peer, "syslog TCP connection ended");
                break;
            }
            Err(_) if was_in_frame && limit < settings.idle_timeout => {
                tracing::warn!(%peer, "syslog TCP connection closed: a message took too long to arrive");
                break;
            }
            Err(_) => {
                tracing::debug!(%peer, "syslog TCP connection closed: idle");
                break;
            }
        };
        let waited = started.elapsed();
        framer.push(&buf[..n]);
        let mut group = Vec::new();
        while let Some(frame) = framer.next_frame() {
            group.push((peer, frame.map_err(|e| e.to_string())));
        }
        // A frame that began in this read starts with no time waited.
        frame_waited = if framer.in_frame() && was_in_frame && group.is_empty() {
            frame_waited + waited
        } else {
            Duration::ZERO
        };
        if !tcp_group(receiver, peer, transport, group).await {
            return;
        }
    }
    // What the sender left unterminated at the end still counts.
    let last = framer
        .finish()
        .map(|f| (peer, f.map_err(|e| e.to_string())))
        .collect();
    tcp_group(receiver, peer, transport, last).await;
}

/// Takes in the frames one read completed; false when storage failed.
async fn tcp_group(
    receiver: &Receiver,
    peer: SocketAddr,
    transport: &str,
    group: Vec<(SocketAddr, Result<Vec<u8>, String>)>,
) -> bool {
    if group.is_empty() {
        return true;
    }
    // Backpressure: a sender faster than its rate waits, and so does its socket.
    receiver.wait_for_rate(source(peer), group.len()).await;
    for chunk in chunks(group) {
        if !receiver.take_in(transport, chunk).await {
            return false;
        }
    }
    true
}

/// Splits a group into pieces of at most [`MAX_GROUP`].
fn chunks<T>(mut group: Vec<T>) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    while group.len() > MAX_GROUP {
        let rest = group.split_off(MAX_GROUP);
        out.push(group);
        group = rest;
    }
    out.push(group);
    out
}
