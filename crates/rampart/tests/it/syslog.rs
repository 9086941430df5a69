//! The syslog receiver under pressure, over real sockets on loopback: idle
//! and trickling TCP connections are closed so senders are never shut out,
//! one address cannot take every connection, a line that looks like an
//! octet count swallows nothing, CEF without a header or with tabs keeps its
//! reference, and senders faster than their rate wait (TCP) or lose the
//! excess (UDP).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rampart_domain::Role;
use rampart_syslog::{Listening, SyslogSettings};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

use crate::helpers::{Backend, TestApp, eventually};

crate::on_both_backends!(
    idle_connections_are_closed_and_a_new_sender_gets_through,
    a_message_trickled_byte_by_byte_is_cut_off,
    one_source_cannot_take_every_connection,
    a_line_that_looks_like_an_octet_count_swallows_nothing,
    cef_without_a_header_or_with_tabs_keeps_its_reference,
    fast_senders_wait_on_tcp_and_lose_the_excess_on_udp,
);

/// The receiver `rampart serve` starts from its configuration: on with the
/// server, on the configured addresses, storing what it hears.
async fn the_configured_receiver_starts_with_the_server(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, "configured_syslog", |config| {
        config.syslog_udp = Some("127.0.0.1:0".parse().unwrap());
        config.syslog_tcp = Some("127.0.0.1:0".parse().unwrap());
    })
    .await
    else {
        return;
    };
    let aud = app.user("aud", &[Role::Auditor]).await;
    let (tcp, udp_to) = (app.syslog.tcp.unwrap(), app.syslog.udp.unwrap());
    let mut stream = TcpStream::connect(tcp).await.unwrap();
    stream
        .write_all(b"<134>1 2026-11-20T10:00:00Z fw1 ids - - - Port scan from 198.51.100.7\n")
        .await
        .unwrap();
    stream.shutdown().await.unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    udp.send_to(
        b"<134>1 2026-11-20T10:00:01Z fw2 ids - - - Brute force on vpn",
        udp_to,
    )
    .await
    .unwrap();
    eventually("both messages stored", || async {
        stats(&app).await["created"] == 2
    })
    .await;
    let hosts: Vec<Value> = events(&app, &aud)
        .await
        .iter()
        .map(|e| e["source"]["name"].clone())
        .collect();
    assert_eq!(
        hosts,
        ["ids", "ids"],
        "one event per message, from the sender's app"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_receiver_starts_with_the_server_on_sqlite() {
    the_configured_receiver_starts_with_the_server(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_receiver_starts_with_the_server_on_postgres() {
    the_configured_receiver_starts_with_the_server(Backend::Postgres).await;
}

/// Starts a receiver on loopback ports with `settings` (addresses filled in).
async fn receiver(app: &TestApp, settings: SyslogSettings) -> Listening {
    rampart_syslog::start(
        app.service.clone(),
        SyslogSettings {
            udp: Some("127.0.0.1:0".parse().unwrap()),
            tcp: Some("127.0.0.1:0".parse().unwrap()),
            ..settings
        },
    )
    .await
    .unwrap()
}

/// A TCP connection to `to` from the loopback address `from`.
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Waits (at most `within`) for the receiver to close `stream`; returns
/// false when it is still open then.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(within, stream.read(&mut buf)).await {
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(_)) => panic!("the receiver never writes"),
        Err(_) => false,
    }
}

/// Every event the reader may see.
async fn events(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/events?limit=500", token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page["next_cursor"].is_null(), "more than one page");
    page["items"].as_array().unwrap().clone()
}

fn titles(events: &[Value]) -> Vec<String> {
    let mut t: Vec<String> = events
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect();
    t.sort();
    t
}

pub(crate) async fn stats(app: &TestApp) -> Value {
    let (status, stats) = app.get("/api/v1/intake/status", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    stats["syslog"].clone()
}

async fn dead_letters(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/intake/dead-letters", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn idle_connections_are_closed_and_a_new_sender_gets_through(app: TestApp) {
    let aud = app.user("aud", &[Role::Auditor]).await;
    let idle = Duration::from_secs(1);
    let listening = receiver(
        &app,
        SyslogSettings {
            max_connections: 4,
            max_connections_per_source: 4,
            idle_timeout: idle,
            ..Default::default()
        },
    )
    .await;
    let tcp = listening.tcp.unwrap();
    let opened = Instant::now();
    let mut idlers = Vec::new();
    for _ in 0..4 {
        idlers.push(TcpStream::connect(tcp).await.unwrap());
    }
    // Every connection is taken: the next one is closed at once, unread.
    let mut shut_out = TcpStream::connect(tcp).await.unwrap();
    shut_out
        .write_all(b"<13>1 - host app - - - shut out\n")
        .await
        .unwrap();
    assert!(closed_within(&mut shut_out, Duration::from_secs(5)).await);

    // The silent connections are closed after the idle timeout, not before.
    for idler in &mut idlers {
        assert!(
            closed_within(idler, Duration::from_secs(10)).await,
            "an idle connection was never closed"
        );
    }
    assert!(opened.elapsed() >= idle - Duration::from_millis(100));

    // Their places are free again: a new sender's message is stored.
    let mut sender = TcpStream::connect(tcp).await.unwrap();
    sender
        .write_all(b"<13>1 - host app - - - after the idlers\n")
        .await
        .unwrap();
    eventually("the new sender's event", || async {
        events(&app, &aud).await.len() == 1
    })
    .await;
    assert_eq!(titles(&events(&app, &aud).await), ["after the idlers"]);
    // And a sender that goes on talking keeps its connection.
    for i in 0..3 {
        tokio::time::sleep(idle / 2).await;
        sender
            .write_all(format!("<13>1 - host app - - - still talking {i}\n").as_bytes())
            .await
            .unwrap();
    }
    eventually("the talker's events", || async {
        events(&app, &aud).await.len() == 4
    })
    .await;
    assert!(!closed_within(&mut sender, Duration::from_millis(100)).await);
}

async fn a_message_trickled_byte_by_byte_is_cut_off(app: TestApp) {
    let listening = receiver(
        &app,
        SyslogSettings {
            idle_timeout: Duration::from_secs(2),
            frame_timeout: Duration::from_secs(1),
            ..Default::default()
        },
    )
    .await;
    let stream = TcpStream::connect(listening.tcp.unwrap()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    // A byte every 200 ms never leaves the connection idle for 2 s, and never
    // ends the message.
    let trickle = tokio::spawn(async move {
        let mut next: &[u8] = b"<13>";
        while writer.write_all(next).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            next = b"x";
        }
    });
    let mut buf = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(10), reader.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0) | Err(_))),
        "the trickling connection was never closed: {closed:?}"
    );
    let after = started.elapsed();
    assert!(after >= Duration::from_millis(900), "{after:?}");
    trickle.abort();
}

async fn one_source_cannot_take_every_connection(app: TestApp) {
    let aud = app.user("aud", &[Role::Auditor]).await;
    let listening = receiver(
        &app,
        SyslogSettings {
            max_connections: 8,
            max_connections_per_source: 3,
            ..Default::default()
        },
    )
    .await;
    let tcp = listening.tcp.unwrap();
    let mut hog = Vec::new();
    for _ in 0..3 {
        hog.push(connect_from("127.0.0.1", tcp).await);
    }
    let mut fourth = connect_from("127.0.0.1", tcp).await;
    fourth
        .write_all(b"<13>1 - hog app - - - one too many\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut fourth, Duration::from_secs(5)).await,
        "a fourth connection from one address was served"
    );
    // The first three are still served.
    for conn in &mut hog {
        assert!(!closed_within(conn, Duration::from_millis(50)).await);
    }
    hog[0]
        .write_all(b"<13>1 - hog app - - - from the hog\n")
        .await
        .unwrap();

    // Another address still gets a place.
    let mut other = connect_from("127.0.0.2", tcp).await;
    other
        .write_all(b"<13>1 - other app - - - from another sensor\n")
        .await
        .unwrap();
    eventually("both events", || async {
        events(&app, &aud).await.len() == 2
    })
    .await;
    assert_eq!(
        titles(&events(&app, &aud).await),
        ["from another sensor", "from the hog"]
    );

    // A closed connection frees its address's place.
    drop(hog.pop());
    let mut again = None;
    for _ in 0..100 {
        let mut conn = connect_from("127.0.0.1", tcp).await;
        if !closed_within(&mut conn, Duration::from_millis(100)).await {
            again = Some(conn);
            break;
        }
    }
    let mut again = again.expect("a place for the address after one of its connections closed");
    again
        .write_all(b"<13>1 - hog app - - - in the freed place\n")
        .await
        .unwrap();
    eventually("the third event", || async {
        events(&app, &aud).await.len() == 3
    })
    .await;
}

async fn a_line_that_looks_like_an_octet_count_swallows_nothing(app: TestApp) {
    let aud = app.user("aud", &[Role::Auditor]).await;
    let listening = receiver(&app, SyslogSettings::default()).await;
    let mut stream = TcpStream::connect(listening.tcp.unwrap()).await.unwrap();
    let first = "<13>1 2026-11-20T10:00:00Z web1 nginx - - - first valid message";
    let second = "<13>1 2026-11-20T10:00:01Z web1 nginx - - - second valid message";
    let counted = "<13>1 2026-11-20T10:00:02Z web1 nginx - - - counted after the garbage";
    stream
        .write_all(
            format!(
                "{first}\n300 garbage from a relay\n{second}\n{} {counted}42\n",
                counted.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    stream.shutdown().await.unwrap();
    eventually("three events", || async {
        events(&app, &aud).await.len() == 3
    })
    .await;
    assert_eq!(
        titles(&events(&app, &aud).await),
        [
            "counted after the garbage",
            "first valid message",
            "second valid message"
        ]
    );
    eventually("two dead letters", || async {
        dead_letters(&app).await.len() == 2
    })
    .await;
    let raw: Vec<String> = dead_letters(&app)
        .await
        .iter()
        .map(|l| l["raw"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        raw.contains(&"300 garbage from a relay".to_owned()),
        "{raw:?}"
    );
    assert!(raw.contains(&"42".to_owned()), "{raw:?}");
}

async fn cef_without_a_header_or_with_tabs_keeps_its_reference(app: TestApp) {
    let aud = app.user("aud", &[Role::Auditor]).await;
    let listening = receiver(&app, SyslogSettings::default()).await;
    let bare = "CEF:0|Acme|Sentinel|2.1|100|Port scan detected|7|src=198.51.100.23 externalId=bare-1 msg=SYN sweep";
    let tabbed = "<134>Nov 20 10:00:01 ids1 CEF:0|Acme|Sentinel|2.1|101|Brute force|8|src=198.51.100.24\texternalId=tab-1\tmsg=many logins";
    let sd_only = r#"<165>1 2026-11-20T10:00:02Z fw1 ids 42 ALERT [sig@32473 id="2019284" src="203.0.113.9"]"#;
    let mut stream = TcpStream::connect(listening.tcp.unwrap()).await.unwrap();
    stream
        .write_all(format!("{bare}\n{tabbed}\n{sd_only}\n").as_bytes())
        .await
        .unwrap();
    stream.shutdown().await.unwrap();
    // The same alerts again, over UDP.
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for message in [bare, tabbed] {
        udp.send_to(message.as_bytes(), listening.udp.unwrap())
            .await
            .unwrap();
    }
    eventually("both repeats", || async {
        stats(&app).await["duplicates"] == 2
    })
    .await;
    let events = events(&app, &aud).await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(dead_letters(&app).await.is_empty());
    let by_ref = |r: &str| {
        events
            .iter()
            .find(|e| e["source"]["ref"] == r)
            .unwrap_or_else(|| panic!("no event with reference {r}: {events:?}"))
            .clone()
    };
    let bare = by_ref("bare-1");
    assert_eq!(bare["occurrences"], 2);
    assert_eq!(bare["source"]["name"], "Acme Sentinel");
    assert_eq!(bare["attributes"]["msg"], "SYN sweep");
    let tabbed = by_ref("tab-1");
    assert_eq!(tabbed["occurrences"], 2);
    assert_eq!(tabbed["attributes"]["src"], "198.51.100.24");
    assert_eq!(tabbed["attributes"]["msg"], "many logins");
    let sd = events
        .iter()
        .find(|e| e["source"]["name"] == "ids")
        .unwrap_or_else(|| panic!("no event for the structured data: {events:?}"));
    assert_eq!(sd["attributes"]["sig@32473.id"], "2019284");
    assert!(sd["title"].as_str().unwrap().contains("2019284"), "{sd}");
}

async fn fast_senders_wait_on_tcp_and_lose_the_excess_on_udp(app: TestApp) {
    let aud = app.user("aud", &[Role::Auditor]).await;
    let listening = receiver(
        &app,
        SyslogSettings {
            rate_per_source: 5,
            ..Default::default()
        },
    )
    .await;
    // UDP from one address: beyond the burst, messages are dropped and counted.
    let udp = UdpSocket::bind("127.0.0.2:0").await.unwrap();
    for i in 0..20 {
        udp.send_to(
            format!("<13>1 - udp app - - - datagram {i}").as_bytes(),
            listening.udp.unwrap(),
        )
        .await
        .unwrap();
    }
    // Each datagram is either stored (all are valid and distinct) or dropped.
    eventually("every datagram accounted for", || async {
        let s = stats(&app).await;
        s["created"].as_u64().unwrap() + s["dropped"].as_u64().unwrap() == 20
    })
    .await;
    let s = stats(&app).await;
    assert!(s["dropped"].as_u64().unwrap() >= 10, "{s}");
    let from_udp = s["created"].as_u64().unwrap();
    assert!((1..=10).contains(&from_udp), "{s}");

    // TCP from another address: all twelve are stored, at the rate.
    let mut stream = connect_from("127.0.0.1", listening.tcp.unwrap()).await;
    let started = Instant::now();
    let batch: String = (0..12)
        .map(|i| format!("<13>1 - tcp app - - - over tcp {i}\n"))
        .collect();
    stream.write_all(batch.as_bytes()).await.unwrap();
    eventually("every TCP message", || async {
        events(&app, &aud).await.len() as u64 == from_udp + 12
    })
    .await;
    // A burst of five, then seven more at five a second.
    assert!(
        started.elapsed() >= Duration::from_millis(1_000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stats(&app).await["dropped"], s["dropped"]);
}
