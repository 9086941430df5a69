//! The OpenAPI document is generated from the code, committed, and must not drift.

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");

#[test]
fn the_committed_openapi_document_is_current() {
    let generated = rampart_http::openapi().to_pretty_json().unwrap() + "\n";
    if std::env::var_os("RAMPART_UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date; regenerate with `RAMPART_UPDATE_OPENAPI=1 cargo test -p rampart --test it openapi`"
    );
}

#[test]
fn every_route_is_documented() {
    let doc = rampart_http::openapi();
    let paths: Vec<&String> = doc.paths.paths.keys().collect();
    for expected in [
        "/api/v1/events",
        "/api/v1/events/{number}",
        "/api/v1/events/{number}/assessment",
        "/api/v1/incidents",
        "/api/v1/incidents/{number}",
        "/api/v1/incidents/{number}/events",
        "/api/v1/incidents/{number}/transitions",
        "/api/v1/incidents/{number}/log",
        "/api/v1/incidents/{number}/actions",
        "/api/v1/incidents/{number}/review",
        "/api/v1/vulnerabilities",
        "/api/v1/vulnerabilities/{number}/assessment",
        "/api/v1/vulnerabilities/{number}/resolution",
        "/api/v1/journal",
    ] {
        assert!(
            paths.iter().any(|p| p.as_str() == expected),
            "{expected} missing from {paths:?}"
        );
    }
}
