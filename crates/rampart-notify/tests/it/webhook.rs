//! Webhooks to a real HTTP receiver on 127.0.0.1 (`rampart_notify::testing`),
//! and the guards around them.

use std::time::{Duration, Instant};

use rampart_notify::testing::{Behaviour, WebhookReceiver, verify};
use rampart_notify::{WebhookClient, WebhookRequest, WebhookSettings, signature};
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"event":"incident.opened","incident":7}"#;
const SECRET: &str = "whsec_it";
const TIMESTAMP: i64 = 1_700_000_000;
const HINT: &str = "an admin may allow private addresses for this webhook";

fn client() -> WebhookClient {
    WebhookClient::new(WebhookSettings::default()).unwrap()
}

/// A request to `url`; the receivers in these tests are on loopback, so
/// most tests allow private addresses.
fn request(url: &str, allow_private: bool) -> WebhookRequest<'_> {
    WebhookRequest {
        url,
        body: BODY,
        secret: SECRET,
        delivery_id: "delivery-1",
        timestamp: TIMESTAMP,
        allow_private,
    }
}

#[tokio::test]
async fn a_signed_post_arrives_once_with_every_header() {
    let receiver = WebhookReceiver::start(Behaviour::Ok).await;

    let response = client()
        .post(&request(&receiver.url(), true))
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    assert_eq!(response.body, "ok");
    receiver.wait_for(1, Duration::from_secs(5)).await;
    // Anything sent twice would have arrived by now.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let received = &requests[0];
    assert_eq!(received.method, "POST");
    assert_eq!(received.path, "/webhook");
    assert_eq!(received.body, BODY);
    let expected_signature = signature(SECRET, TIMESTAMP, BODY);
    for (name, value) in [
        ("content-type", "application/json"),
        ("user-agent", "Rampart-Webhook/1"),
        ("x-rampart-delivery", "delivery-1"),
        ("x-rampart-timestamp", "1700000000"),
        ("x-rampart-signature", expected_signature.as_str()),
    ] {
        assert_eq!(received.header_values(name), [value], "{name}");
    }
    assert!(verify(SECRET, received));
    assert!(!verify("another secret", received));
    let mut tampered = received.clone();
    tampered.body = br#"{"event":"incident.closed","incident":7}"#.to_vec();
    assert!(!verify(SECRET, &tampered));
}

#[tokio::test]
async fn loopback_is_refused_unless_private_addresses_are_allowed() {
    let receiver = WebhookReceiver::start(Behaviour::Ok).await;

    let error = client()
        .post(&request(&receiver.url(), false))
        .await
        .unwrap_err();

    assert_eq!(
        error,
        format!("refused: 127.0.0.1 is a loopback address; {HINT}")
    );
    assert!(receiver.requests().is_empty());

    client()
        .post(&request(&receiver.url(), true))
        .await
        .unwrap();
    assert_eq!(receiver.wait_for(1, Duration::from_secs(5)).await.len(), 1);
}

#[tokio::test]
async fn private_ip_literals_are_refused_without_connecting() {
    for (url, expected) in [
        (
            "http://10.0.0.5/hook",
            "refused: 10.0.0.5 is a private address",
        ),
        (
            "http://192.168.1.20:8080/",
            "refused: 192.168.1.20 is a private address",
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is a link-local address",
        ),
        ("http://[::1]:9/", "refused: ::1 is a loopback address"),
        (
            "http://[::ffff:127.0.0.1]:9/",
            "refused: ::ffff:127.0.0.1 is the IPv4-mapped form of 127.0.0.1, a loopback address",
        ),
        (
            "http://[fd00::5]/",
            "refused: fd00::5 is a unique-local address (fc00::/7)",
        ),
        (
            "http://0.0.0.0:9/",
            "refused: 0.0.0.0 is the unspecified address",
        ),
        // Read by the URL standard as 127.0.0.1.
        (
            "http://2130706433:9/",
            "refused: 127.0.0.1 is a loopback address",
        ),
    ] {
        let error = client().post(&request(url, false)).await.unwrap_err();
        assert_eq!(error, format!("{expected}; {HINT}"), "{url}");
    }
}

#[tokio::test]
async fn localhost_names_are_refused_at_resolution() {
    let receiver = WebhookReceiver::start(Behaviour::Ok).await;
    let port = receiver.addr().port();

    for host in ["localhost", "hooks.localhost", "LOCALHOST"] {
        let url = format!("http://{host}:{port}/webhook");
        let error = client().post(&request(&url, false)).await.unwrap_err();
        assert_eq!(
            error,
            format!(
                "refused: {} is a name for this host; {HINT}",
                host.to_ascii_lowercase()
            ),
            "{url}"
        );
    }
    assert!(receiver.requests().is_empty());

    // Allowed, the name is resolved and reaches the receiver.
    let url = format!("http://localhost:{port}/webhook");
    client().post(&request(&url, true)).await.unwrap();
    assert_eq!(receiver.wait_for(1, Duration::from_secs(5)).await.len(), 1);
}

#[tokio::test]
async fn a_redirect_is_reported_and_not_followed() {
    let target = WebhookReceiver::start(Behaviour::Ok).await;
    let redirecting = WebhookReceiver::start(Behaviour::Redirect(target.url())).await;

    let error = client()
        .post(&request(&redirecting.url(), true))
        .await
        .unwrap_err();

    assert_eq!(
        error,
        format!(
            "{} answered 302 Found with Location {:?}; redirects are not followed, so give the \
             webhook its final URL",
            redirecting.addr(),
            target.url()
        )
    );
    assert_eq!(redirecting.requests().len(), 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(target.requests().is_empty());
}

#[tokio::test]
async fn a_slow_receiver_times_out() {
    let receiver = WebhookReceiver::start(Behaviour::Slow(Duration::from_secs(5))).await;
    let client = WebhookClient::new(WebhookSettings {
        timeout: Duration::from_millis(300),
        ..WebhookSettings::default()
    })
    .unwrap();
    let started = Instant::now();

    let error = client
        .post(&request(&receiver.url(), true))
        .await
        .unwrap_err();

    assert_eq!(
        error,
        format!("timed out after 300ms waiting for {}", receiver.addr())
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn a_huge_body_is_cut_at_the_limit() {
    let receiver = WebhookReceiver::start(Behaviour::Huge(8 * 1024 * 1024)).await;
    let client = WebhookClient::new(WebhookSettings {
        max_response_bytes: 1000,
        ..WebhookSettings::default()
    })
    .unwrap();

    let response = client.post(&request(&receiver.url(), true)).await.unwrap();

    assert_eq!(response.status, 200);
    assert_eq!(response.body, "x".repeat(1000));

    let small = WebhookReceiver::start(Behaviour::Huge(10)).await;
    let response = client.post(&request(&small.url(), true)).await.unwrap();
    assert_eq!(response.body, "x".repeat(10));
}

#[tokio::test]
async fn a_server_error_is_an_error_quoting_the_status_and_body() {
    let receiver = WebhookReceiver::start(Behaviour::Status(500)).await;

    let error = client()
        .post(&request(&receiver.url(), true))
        .await
        .unwrap_err();

    assert_eq!(
        error,
        format!(
            "{} answered 500 Internal Server Error: \"failed on purpose with 500\"",
            receiver.addr()
        )
    );

    let receiver = WebhookReceiver::start(Behaviour::Status(404)).await;
    let error = client()
        .post(&request(&receiver.url(), true))
        .await
        .unwrap_err();
    assert!(error.contains("answered 404 Not Found"), "{error}");
}

#[tokio::test]
async fn a_receiver_that_is_not_listening_is_reported() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/webhook");

    let error = client().post(&request(&url, true)).await.unwrap_err();

    assert_eq!(
        error,
        format!("could not connect to 127.0.0.1:{port}: connection refused")
    );
}

#[tokio::test]
async fn a_bad_request_is_refused_before_anything_is_sent() {
    let receiver = WebhookReceiver::start(Behaviour::Ok).await;
    let url = receiver.url();
    let client = client();

    let error = client
        .post(&request("ftp://127.0.0.1/hook", true))
        .await
        .unwrap_err();
    assert_eq!(error, "url: the scheme must be http or https, not \"ftp\"");

    let error = client
        .post(&WebhookRequest {
            delivery_id: "two words",
            ..request(&url, true)
        })
        .await
        .unwrap_err();
    assert!(error.starts_with("delivery_id: \"two words\""), "{error}");

    let error = client
        .post(&WebhookRequest {
            secret: "",
            ..request(&url, true)
        })
        .await
        .unwrap_err();
    assert!(error.starts_with("secret: "), "{error}");

    assert!(receiver.requests().is_empty());
}

#[tokio::test]
async fn https_to_a_plain_http_receiver_fails_in_the_tls_handshake() {
    let receiver = WebhookReceiver::start(Behaviour::Ok).await;
    let url = format!("https://{}/webhook", receiver.addr());

    let error = client().post(&request(&url, true)).await.unwrap_err();

    assert_eq!(
        error,
        format!(
            "TLS with {} failed: received corrupt message of type InvalidContentType",
            receiver.addr()
        )
    );
    assert!(receiver.requests().is_empty());
}
