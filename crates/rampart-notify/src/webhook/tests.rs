use proptest::prelude::*;

use super::*;

fn kind(ip: &str) -> Option<String> {
    why_not_public(ip.parse().unwrap())
}

#[test]
fn every_non_public_ipv4_range_is_refused() {
    for (ip, expected) in [
        ("0.0.0.0", "the unspecified address"),
        ("0.1.2.3", "\"this network\""),
        ("0.255.255.255", "\"this network\""),
        ("10.0.0.0", "a private address"),
        ("10.255.255.255", "a private address"),
        ("100.64.0.0", "carrier-grade NAT"),
        ("100.127.255.255", "carrier-grade NAT"),
        ("127.0.0.1", "a loopback address"),
        ("127.255.255.254", "a loopback address"),
        ("169.254.0.1", "a link-local address"),
        ("169.254.169.254", "a link-local address"),
        ("172.16.0.0", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.0.0.8", "protocol assignments"),
        ("192.0.2.1", "a documentation address"),
        ("192.88.99.1", "6to4 relay"),
        ("192.168.0.1", "a private address"),
        ("192.168.255.255", "a private address"),
        ("198.18.0.1", "benchmarking"),
        ("198.19.255.255", "benchmarking"),
        ("198.51.100.7", "a documentation address"),
        ("203.0.113.9", "a documentation address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("254.255.255.255", "a reserved address"),
        ("255.255.255.255", "the broadcast address"),
    ] {
        let found = kind(ip).unwrap_or_else(|| format!("{ip} passed as public"));
        assert!(found.contains(expected), "{ip}: {found}");
        assert!(!is_public(ip.parse().unwrap()), "{ip}");
    }
}

#[test]
fn public_ipv4_addresses_and_range_edges_pass() {
    for ip in [
        "1.1.1.1",
        "8.8.8.8",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.0",
        "192.0.3.0",
        "192.88.98.255",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "198.51.99.255",
        "203.0.112.255",
        "223.255.255.255",
    ] {
        assert_eq!(kind(ip), None, "{ip}");
    }
}

#[test]
fn every_non_public_ipv6_range_is_refused() {
    for (ip, expected) in [
        ("::", "the unspecified address"),
        ("::1", "a loopback address"),
        ("fe80::1", "a link-local address"),
        ("febf:ffff::1", "a link-local address"),
        ("fc00::1", "unique-local"),
        ("fd12:3456:789a::1", "unique-local"),
        ("fec0::1", "site-local"),
        ("ff02::1", "a multicast address"),
        ("ff0e::101", "a multicast address"),
        ("2001:db8::1", "a documentation address"),
        ("3fff::1", "a documentation address"),
        ("3fff:fff:ffff::1", "a documentation address"),
        ("2001::1", "Teredo"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("2001:2::1", "protocol assignments"),
        ("2001:1ff:ffff::1", "protocol assignments"),
        ("64:ff9b:1::1", "local-use NAT64"),
        ("100::1", "a reserved address"),
        ("5f00::1", "a reserved address"),
        ("4000::1", "a reserved address"),
        ("::2", "IPv4-compatible form of 0.0.0.2"),
    ] {
        let found = kind(ip).unwrap_or_else(|| format!("{ip} passed as public"));
        assert!(found.contains(expected), "{ip}: {found}");
    }
}

#[test]
fn ipv6_forms_of_non_public_ipv4_addresses_are_refused() {
    for (ip, expected) in [
        (
            "::ffff:127.0.0.1",
            "the IPv4-mapped form of 127.0.0.1, a loopback address",
        ),
        (
            "::ffff:10.0.0.5",
            "the IPv4-mapped form of 10.0.0.5, a private address",
        ),
        ("::ffff:169.254.169.254", "a link-local address"),
        ("::ffff:0.0.0.0", "the unspecified address"),
        (
            "::127.0.0.1",
            "the IPv4-compatible form of 127.0.0.1, a loopback address",
        ),
        ("::192.168.1.1", "a private address"),
        (
            "::ffff:0:10.1.2.3",
            "the IPv4-translated form of 10.1.2.3, a private address",
        ),
        (
            "64:ff9b::7f00:1",
            "the NAT64 form of 127.0.0.1, a loopback address",
        ),
        ("64:ff9b::192.168.0.1", "a private address"),
        ("64:ff9b::100.64.0.1", "carrier-grade NAT"),
        (
            "2002:7f00:1::",
            "the 6to4 form of 127.0.0.1, a loopback address",
        ),
        (
            "2002:a00:5::1",
            "the 6to4 form of 10.0.0.5, a private address",
        ),
        ("2002:a9fe:a9fe::1", "a link-local address"),
        ("2002:c0a8:101::1", "a private address"),
        ("2002:e000:1::", "a multicast address"),
    ] {
        let found = kind(ip).unwrap_or_else(|| format!("{ip} passed as public"));
        assert!(found.contains(expected), "{ip}: {found}");
    }
}

#[test]
fn public_ipv6_addresses_and_forms_of_public_ipv4_addresses_pass() {
    for ip in [
        "2001:4860:4860::8888",
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
        "2001:200::1",
        "2001:db9::1",
        "3ffe::1",
        "3fff:1000::1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ] {
        assert_eq!(kind(ip), None, "{ip}");
    }
    // Forms no sound host has are refused whatever they carry.
    assert!(
        kind("::8.8.8.8")
            .unwrap()
            .contains("deprecated IPv4-compatible")
    );
    assert!(
        kind("::ffff:0:8.8.8.8")
            .unwrap()
            .contains("IPv4-translated")
    );
}

proptest! {
    #[test]
    fn the_ipv6_forms_of_an_ipv4_address_are_judged_like_it(raw in any::<u32>()) {
        let v4 = Ipv4Addr::from(raw);
        let public = is_public(IpAddr::V4(v4));
        let [hi, lo] = [(raw >> 16) as u16, raw as u16];
        prop_assert_eq!(is_public(IpAddr::V6(v4.to_ipv6_mapped())), public);
        let nat64 = Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo);
        prop_assert_eq!(is_public(IpAddr::V6(nat64)), public);
        let six_to_four = Ipv6Addr::new(0x2002, hi, lo, 0, 0, 0, 0, 1);
        prop_assert_eq!(is_public(IpAddr::V6(six_to_four)), public);
        if !public {
            let compatible = Ipv6Addr::new(0, 0, 0, 0, 0, 0, hi, lo);
            prop_assert!(!is_public(IpAddr::V6(compatible)));
        }
    }
}

#[test]
fn good_urls_are_accepted_and_normalised() {
    for (raw, expected) in [
        (
            "https://hooks.example.org/rampart",
            "https://hooks.example.org/rampart",
        ),
        (
            "  HTTPS://Hooks.Example.ORG  ",
            "https://hooks.example.org/",
        ),
        (
            "https://hooks.example.org:443/a?b=c",
            "https://hooks.example.org/a?b=c",
        ),
        (
            "http://hooks.example.org:8080/x",
            "http://hooks.example.org:8080/x",
        ),
        ("http://127.0.0.1:9000/hook", "http://127.0.0.1:9000/hook"),
        ("http://[::1]:9000/", "http://[::1]:9000/"),
        ("http://localhost/", "http://localhost/"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("http://2130706433/", "http://127.0.0.1/"),
    ] {
        assert_eq!(check_url(raw).as_deref(), Ok(expected), "{raw}");
    }
}

#[test]
fn bad_urls_are_refused_saying_what_is_wrong() {
    let long = format!("https://hooks.example.org/{}", "a".repeat(MAX_URL_LEN));
    for (raw, expected) in [
        ("", "a URL is required"),
        ("   ", "a URL is required"),
        ("hooks.example.org/rampart", "it needs a scheme and a host"),
        (
            "ftp://hooks.example.org/",
            "must be http or https, not \"ftp\"",
        ),
        ("file:///etc/passwd", "must be http or https, not \"file\""),
        ("javascript:alert(1)", "must be http or https"),
        ("https://", "the host is missing"),
        ("https://user:secret@hooks.example.org/", "user:password@"),
        ("https://user@hooks.example.org/", "user:password@"),
        ("https://hooks.example.org/#top", "fragment"),
        ("https://hooks.example.org/#", "fragment"),
        ("https://hooks.example.org:0/", "port 0"),
        ("https://hooks.example.org:99999/", "not a URL"),
        ("https://exa mple.org/", "not a URL"),
        (&long, "at most 2048 bytes"),
    ] {
        let error = check_url(raw).unwrap_err();
        assert!(error.contains(expected), "{raw:?}: {error}");
        assert!(!error.contains("secret"), "{raw:?}: {error}");
    }
}

#[test]
fn the_signature_matches_an_independent_computation() {
    // python3: hmac.new(key, b"<timestamp>." + body, hashlib.sha256).hexdigest()
    assert_eq!(
        signature(
            "whsec_test",
            1_700_000_000,
            br#"{"incident":7,"event":"opened"}"#
        ),
        "sha256=ea481690b754489a6c175c6e15eeefb0a93ea2231ae039f96555dd5442448d6b"
    );
    assert_eq!(
        signature("", 0, b""),
        "sha256=b849d5a581847b281957065739df36df2463d1977ea8d6e1e4e6cf33fadc68c3"
    );
    // A key longer than SHA-256's block is hashed first.
    assert_eq!(
        signature(&"k".repeat(100), -5, b"x"),
        "sha256=81d640e96e8b7b8bcd47355146bbba6ac13d17bbe33d6cbab30df075080b62f1"
    );
}

#[test]
fn a_receiver_recognises_the_signature_and_nothing_else() {
    let body = br#"{"incident":7}"#;
    let sent = signature("s3cret", 1_700_000_000, body);
    assert!(signature_matches("s3cret", "1700000000", body, &sent));
    assert!(!signature_matches("other", "1700000000", body, &sent));
    assert!(!signature_matches("s3cret", "1700000001", body, &sent));
    assert!(!signature_matches("s3cret", "1700000000", b"{}", &sent));
    assert!(!signature_matches(
        "s3cret",
        "1700000000",
        body,
        sent.trim_start_matches("sha256=")
    ));
    assert!(!signature_matches(
        "s3cret",
        "1700000000",
        body,
        "sha256=zz"
    ));
}

#[test]
fn localhost_names_are_recognised() {
    for host in [
        "localhost",
        "LOCALHOST",
        "localhost.",
        "hooks.localhost",
        "a.b.localhost.",
    ] {
        assert!(is_localhost(host), "{host}");
    }
    for host in ["localhost.example.org", "notlocalhost", "example.org"] {
        assert!(!is_localhost(host), "{host}");
    }
}

#[test]
fn one_private_answer_among_public_ones_refuses_the_name() {
    let addrs: Vec<SocketAddr> = ["93.184.215.14:0", "10.0.0.5:0"]
        .iter()
        .map(|addr| addr.parse().unwrap())
        .collect();
    assert_eq!(
        check_resolved("example.internal", &addrs).unwrap_err().0,
        "refused: example.internal resolves to 10.0.0.5, a private address; an admin may \
         allow private addresses for this webhook"
    );
    check_resolved("example.org", &addrs[..1]).unwrap();
}

#[tokio::test]
async fn a_name_the_system_resolves_to_loopback_is_refused_by_its_addresses() {
    let addrs = lookup("localhost").await.unwrap();
    let error = check_resolved("localhost", &addrs).unwrap_err().0;
    assert!(
        error.starts_with("refused: localhost resolves to "),
        "{error}"
    );
    assert!(error.contains("a loopback address"), "{error}");
}

#[test]
fn settings_that_cannot_work_are_refused() {
    let refused = |settings| WebhookClient::new(settings).unwrap_err();
    assert_eq!(
        refused(WebhookSettings {
            timeout: Duration::ZERO,
            ..WebhookSettings::default()
        }),
        "timeout: must be longer than zero"
    );
    assert_eq!(
        refused(WebhookSettings {
            connect_timeout: Duration::ZERO,
            ..WebhookSettings::default()
        }),
        "connect_timeout: must be longer than zero"
    );
    WebhookClient::new(WebhookSettings::default()).unwrap();
}

#[test]
fn a_post_can_be_spawned_onto_any_worker() {
    fn assert_send<T: Send>(_: &T) {}
    let client = WebhookClient::new(WebhookSettings::default()).unwrap();
    let request = WebhookRequest {
        url: "https://hooks.example.org/",
        body: b"{}",
        secret: "s",
        delivery_id: "d-1",
        timestamp: 1,
        allow_private: false,
    };
    assert_send(&client.post(&request));
}

#[test]
fn debug_shows_neither_the_secret_nor_the_path() {
    let request = WebhookRequest {
        url: "https://hooks.example.org/services/T0/B0/token123",
        body: b"{}",
        secret: "hunter2",
        delivery_id: "d-1",
        timestamp: 1,
        allow_private: false,
    };
    let shown = format!("{request:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("token123"), "{shown}");
    assert!(shown.contains("https://hooks.example.org/…"), "{shown}");
}

#[test]
fn a_long_body_is_quoted_by_its_start() {
    assert_eq!(quoted_start("short"), "short");
    let quoted = quoted_start(&"é".repeat(300));
    assert_eq!(quoted.chars().count(), QUOTED_CHARS + 1);
    assert!(quoted.ends_with('…'));
}
