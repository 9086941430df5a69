//! An incident leaving Rampart, on both backends. As a STIX 2.1 bundle: it
//! passes the reference validator (stix2-validator) with neither error nor
//! warning; it holds the incident with the incident core extension,
//! observed data, indicators and sightings. As a MISP event: PyMISP loads
//! it, with its attributes, detection flags and tags. As an IODEF v2
//! document: `xmllint` finds it valid against RFC 7970's schema. Each way, what the
//! audience may not receive (marked more narrowly, PAP:RED, TLP:RED) never
//! leaves, ids stay the same from one export to the next, and every export
//! is journaled.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, incident, run_validator, validator_python};

crate::on_both_backends!(
    an_incident_leaves_for_its_audience_as_stix_and_misp,
    an_incident_leaves_for_its_audience_as_iodef,
    published_incidents_make_a_misp_feed
);

/// Validates the bundle on standard input; prints the errors and warnings,
/// one a line, and fails when it is not valid.
const VALIDATE: &str = r#"
import sys
from stix2validator import validate_string, ValidationOptions
result = validate_string(sys.stdin.read(), ValidationOptions(version="2.1"))
for r in getattr(result, "object_results", [result]):
    for e in r.errors:
        print("ERROR", r.object_id, e)
    for w in r.warnings:
        print("WARNING", r.object_id, w)
sys.exit(0 if result.is_valid else 1)
"#;

/// Loads the event on standard input with PyMISP and prints what it read.
const LOAD_MISP: &str = r#"
import json, sys
from pymisp import MISPEvent
event = MISPEvent()
event.load(sys.stdin.read())
print(json.dumps({
    "uuid": event.uuid, "info": event.info,
    "threat_level_id": event.threat_level_id, "analysis": event.analysis,
    "tags": [t.name for t in event.tags],
    "attributes": [[a.type, a.category, a.value, bool(a.to_ids), sorted(t.name for t in a.tags)]
                   for a in event.attributes],
}))
"#;

async fn export(app: &TestApp, token: &str, n: &str, audience: &str) -> (StatusCode, String) {
    fetch(app, token, n, "stix", audience).await
}

async fn fetch(
    app: &TestApp,
    token: &str,
    n: &str,
    format: &str,
    audience: &str,
) -> (StatusCode, String) {
    let answer = app
        .client
        .get(format!(
            "http://{}/api/v1/incidents/{n}/export/{format}?audience={}",
            app.addr,
            audience.replace('+', "%2B")
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    if status == StatusCode::OK && format == "stix" {
        assert_eq!(
            answer.headers()["content-type"],
            "application/stix+json;version=2.1"
        );
    }
    (status, answer.text().await.unwrap())
}

/// Exports the incident in `format` for an AMBER audience; checks that
/// the export is journaled alone (`incident.exported`) with the format, the
/// audience and how many observables went.
async fn journaled_export(
    app: &TestApp,
    token: &str,
    n: &str,
    format: &str,
    observables: u64,
) -> String {
    let seq = app.journal_len().await;
    let (status, text) = fetch(app, token, n, format, "AMBER").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(app.changes_after(seq).await, ["incident.exported"]);
    let (_, entries) = app
        .get(&format!("/api/v1/journal?after={seq}"), &app.admin)
        .await;
    let payload = &entries["items"][0]["payload"];
    assert_eq!(
        (
            &payload["format"],
            &payload["audience"],
            &payload["observables"]
        ),
        (&json!(format), &json!("AMBER"), &json!(observables)),
        "{entries}"
    );
    text
}

fn of_type<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == kind)
        .collect()
}

async fn an_incident_leaves_for_its_audience_as_stix_and_misp(app: TestApp) {
    let Some(python) = validator_python() else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let n = incident(
        &app,
        &pat,
        &ian,
        "ian",
        "Phishing wave with a credential harvester",
    )
    .await;
    let add = |o: Value| {
        let app = &app;
        let ian = ian.clone();
        let n = n.clone();
        async move {
            app.post_ok(
                &format!("/api/v1/incidents/{n}/observables"),
                &ian,
                o,
                StatusCode::CREATED,
            )
            .await
        }
    };
    add(
        json!({"type": "ip", "value": "198.51.100.7", "tlp": "CLEAR", "pap": "GREEN",
               "ioc": true, "sighted": true, "note": "the harvester's host"}),
    )
    .await;
    add(json!({"type": "domain", "value": "login-example.test", "tlp": "GREEN", "ioc": true}))
        .await;
    add(json!({"type": "hash", "value": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "tlp": "AMBER"}))
        .await;
    add(json!({"type": "url", "value": "https://login-example.test/it's", "tlp": "AMBER", "ioc": true}))
        .await;
    add(json!({"type": "url", "value": "https://internal.example.org/hr", "tlp": "RED", "ioc": true}))
        .await;
    add(json!({"type": "email", "value": "ceo@example.org", "tlp": "GREEN", "pap": "RED", "ioc": true}))
        .await;
    add(json!({"type": "account", "value": "svc-backup", "tlp": "AMBER+STRICT"})).await;

    let text = journaled_export(&app, &ian, &n, "stix", 4).await;
    let report = run_validator(&python, VALIDATE, text.as_bytes());
    assert_eq!(report.trim(), "", "stix2-validator: {report}");
    let bundle: Value = serde_json::from_str(&text).unwrap();

    // The incident, with the core extension.
    let incidents = of_type(&bundle, "incident");
    assert_eq!(incidents.len(), 1);
    let core =
        &incidents[0]["extensions"]["extension-definition--ef765651-680c-498d-9894-99799f2fa126"];
    assert_eq!(core["investigation_status"], "open");
    assert_eq!(
        incidents[0]["external_references"][0]["external_id"],
        n.as_str()
    );
    // What the audience may receive, and nothing else.
    let values: Vec<String> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| {
            o["value"]
                .as_str()
                .or(o["user_id"].as_str())
                .map(str::to_owned)
        })
        .collect();
    assert!(values.contains(&"198.51.100.7".to_owned()), "{values:?}");
    assert!(values.contains(&"login-example.test".to_owned()));
    assert!(values.contains(&"https://login-example.test/it's".to_owned()));
    for never in [
        "https://internal.example.org/hr",
        "ceo@example.org",
        "svc-backup",
    ] {
        assert!(!text.contains(never), "{never} left in an AMBER export");
    }
    assert_eq!(of_type(&bundle, "file").len(), 1);
    assert_eq!(of_type(&bundle, "observed-data").len(), 4);
    let indicators = of_type(&bundle, "indicator");
    assert_eq!(
        indicators.len(),
        3,
        "one for each indicator of compromise shared"
    );
    assert!(
        indicators
            .iter()
            .any(|i| i["pattern"] == "[url:value = 'https://login-example.test/it\\'s']")
    );
    assert_eq!(of_type(&bundle, "sighting").len(), 1);
    let markings: Vec<&str> = of_type(&bundle, "marking-definition")
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        markings.contains(&"TLP:CLEAR") && !markings.contains(&"TLP:RED"),
        "{markings:?}"
    );

    // The same ids at the next export.
    let (_, again) = export(&app, &ian, &n, "AMBER").await;
    let again: Value = serde_json::from_str(&again).unwrap();
    let ids = |b: &Value| -> Vec<String> {
        b["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&again), ids(&bundle));

    // An AMBER+STRICT audience receives the account too.
    let (status, strict) = export(&app, &ian, &n, "AMBER+STRICT").await;
    assert_eq!(status, StatusCode::OK);
    assert!(strict.contains("svc-backup") && !strict.contains("internal.example.org"));
    // The incident (TLP:AMBER) does not go to a GREEN audience; RED is no
    // audience; a refused export journals nothing.
    let seq = app.journal_len().await;
    let (status, problem) = export(&app, &ian, &n, "GREEN").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = export(&app, &ian, &n, "RED").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&serde_json::from_str(&problem).unwrap()),
        ["audience"]
    );
    assert_eq!(app.journal_len().await, seq);
    // As a MISP event, under the same rules.
    let seq = app.journal_len().await;
    let (status, event) = fetch(&app, &ian, &n, "misp", "AMBER").await;
    assert_eq!(status, StatusCode::OK, "{event}");
    assert_eq!(app.changes_after(seq).await, ["incident.exported"]);
    let loaded: Value =
        serde_json::from_str(&run_validator(&python, LOAD_MISP, event.as_bytes())).unwrap();
    assert!(loaded["info"].as_str().unwrap().starts_with(&n), "{loaded}");
    assert!(
        loaded["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("tlp:amber")),
        "{loaded}"
    );
    let attributes = loaded["attributes"].as_array().unwrap();
    assert_eq!(attributes.len(), 4, "{loaded}");
    assert!(
        attributes.contains(&json!([
            "ip-dst",
            "Network activity",
            "198.51.100.7",
            true,
            ["PAP:GREEN", "tlp:clear"]
        ])),
        "{loaded}"
    );
    assert!(
        attributes.contains(&json!([
            "sha256",
            "Payload delivery",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            false,
            ["PAP:AMBER", "tlp:amber"]
        ])),
        "{loaded}"
    );
    for never in [
        "https://internal.example.org/hr",
        "ceo@example.org",
        "svc-backup",
    ] {
        assert!(
            !event.contains(never),
            "{never} left in an AMBER MISP event"
        );
    }
    let (_, again) = fetch(&app, &ian, &n, "misp", "AMBER").await;
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["Event"]["uuid"], loaded["uuid"]);
    let (status, _) = fetch(&app, &ian, &n, "misp", "GREEN").await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Round trip: both, taken in by a fresh installation, arrive as events
    // with the observables that went; sent again, they are repeats.
    let name = match app.backend {
        crate::helpers::Backend::Sqlite => "exports_import_sqlite",
        crate::helpers::Backend::Postgres => "exports_import_pg",
    };
    let Some(other) = TestApp::spawn(app.backend, name).await else {
        return;
    };
    let sensor = other.user("feed", &[Role::Reporter, Role::Poc]).await;
    let sent: Vec<Value> = vec![
        serde_json::from_str(&text).unwrap(),
        serde_json::from_str(&event).unwrap(),
    ];
    let expected = [
        "198.51.100.7",
        "login-example.test",
        "https://login-example.test/it's",
    ];
    let taken = other
        .post_ok("/api/v1/events/batch", &sensor, json!(sent), StatusCode::OK)
        .await;
    assert_eq!(taken["created"], 2, "{taken}");
    for item in taken["items"].as_array().unwrap() {
        let number = item["number"].as_str().unwrap();
        let (_, e) = other
            .get(&format!("/api/v1/events/{number}"), &sensor)
            .await;
        let values: Vec<&str> = e["observables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        for v in expected {
            assert!(values.contains(&v), "{v} not in {values:?}");
        }
        assert!(
            values.contains(&"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(values.len(), 4, "{values:?}");
        assert_eq!(e["tlp"], "AMBER", "{e}");
    }
    let again = other
        .post_ok("/api/v1/events/batch", &sensor, json!(sent), StatusCode::OK)
        .await;
    assert_eq!(
        (again["created"].clone(), again["duplicates"].clone()),
        (json!(0), json!(2)),
        "{again}"
    );

    // Only those who may read the incident.
    let rita = app.user("rita", &[Role::Reporter]).await;
    let (status, _) = export(&app, &rita, &n, "AMBER").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The records still agree with the journal: an export changes none.
    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}

/// Validates an IODEF v2 document with `xmllint --schema` against RFC
/// 7970's schema (tests/fixtures/iodef), its imports resolved offline by
/// an XML catalog: the W3C schemas from the validators' `xmlschema`
/// package, the stand-ins of the fixtures for the IANA-hosted two. `Err`
/// holds what xmllint said.
fn validate_iodef(python: &std::path::Path, document: &str) -> Result<(), String> {
    let package = run_validator(
        python,
        "import os, xmlschema; print(os.path.dirname(xmlschema.__file__))",
        b"",
    );
    let w3c = std::path::Path::new(package.trim()).join("schemas");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iodef");
    let dir = tempfile::tempdir().unwrap();
    let xml = w3c.join("XML/xml.xsd");
    let dsig = w3c.join("DSIG/xmldsig-core-schema.xsd");
    let entries = [
        ("http://www.w3.org/2001/xml.xsd", xml.clone()),
        ("http://www.w3c.org/2001/xml.xsd", xml.clone()),
        ("http://www.w3.org/2009/01/xml.xsd", xml),
        (
            "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd",
            dsig.clone(),
        ),
        (
            "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd",
            dsig,
        ),
        (
            "http://www.iana.org/assignments/xml-registry/schema/iodef-enum-1.0.xsd",
            fixtures.join("iodef-enum-1.0.xsd"),
        ),
        (
            "http://www.iana.org/assignments/xml-registry/schema/iodef-sci-1.0.xsd",
            fixtures.join("iodef-sci-1.0.xsd"),
        ),
    ];
    let mut catalog = String::from(
        "<?xml version=\"1.0\"?>\n<catalog xmlns=\"urn:oasis:names:tc:entity:xmlns:xml:catalog\">\n",
    );
    for (name, file) in entries {
        assert!(file.exists(), "{} is missing", file.display());
        catalog.push_str(&format!(
            "  <uri name=\"{name}\" uri=\"file://{}\"/>\n",
            file.display()
        ));
    }
    catalog.push_str("</catalog>\n");
    std::fs::write(dir.path().join("catalog.xml"), catalog).unwrap();
    std::fs::write(dir.path().join("document.xml"), document).unwrap();
    let out = std::process::Command::new("xmllint")
        .env("XML_CATALOG_FILES", dir.path().join("catalog.xml"))
        .args(["--nonet", "--noout", "--schema"])
        .arg(fixtures.join("iodef-2.0.xsd"))
        .arg(dir.path().join("document.xml"))
        .output()
        .expect("xmllint runs (Debian's libxml2-utils; .ci/run installs it)");
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() && said.contains("validates") {
        Ok(())
    } else {
        Err(said)
    }
}

async fn an_incident_leaves_for_its_audience_as_iodef(app: TestApp) {
    let Some(python) = validator_python() else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let n = incident(
        &app,
        &pat,
        &ian,
        "ian",
        "Ransomware on a <file> server & co",
    )
    .await;
    let (status, patched) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/incidents/{n}"),
            Some(&ian),
            Some(json!({"occurred_at": "2026-01-01T09:00:00Z", "discovered_at": "2026-01-02T09:00:00Z",
                        "rsit": {"class": "malicious-code", "type": "infected-system"},
                        "recovery_cost_total": {"amount": 15100.75, "currency": "EUR"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    app.post_ok(
        &format!("/api/v1/incidents/{n}/actions"),
        &ian,
        json!({"what": "isolate the file server", "owner": "ops on-call"}),
        StatusCode::CREATED,
    )
    .await;
    for o in [
        json!({"type": "ip", "value": "198.51.100.7", "tlp": "CLEAR", "ioc": true, "sighted": true, "note": "C2 \"beacon\""}),
        json!({"type": "ip", "value": "2001:db8::7", "tlp": "GREEN"}),
        json!({"type": "domain", "value": "c2-example.test", "tlp": "AMBER", "ioc": true}),
        json!({"type": "hash", "value": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "tlp": "AMBER", "ioc": true}),
        json!({"type": "url", "value": "https://c2-example.test/a?b=1&c=2", "tlp": "GREEN"}),
        json!({"type": "email", "value": "ops@example.org", "tlp": "GREEN"}),
        json!({"type": "account", "value": "svc-backup", "tlp": "AMBER+STRICT"}),
        json!({"type": "url", "value": "https://internal.example.org/hr", "tlp": "RED", "ioc": true}),
        json!({"type": "domain", "value": "secret-source.test", "tlp": "GREEN", "pap": "RED"}),
    ] {
        app.post_ok(
            &format!("/api/v1/incidents/{n}/observables"),
            &ian,
            o,
            StatusCode::CREATED,
        )
        .await;
    }

    let text = journaled_export(&app, &ian, &n, "iodef", 6).await;
    validate_iodef(&python, &text).unwrap_or_else(|e| panic!("xmllint: {e}\n{text}"));
    // The validator is not a formality: a marking IODEF does not know fails.
    let wrong = text.replacen("restriction=\"amber\"", "restriction=\"tlp-amber\"", 1);
    assert_ne!(wrong, text);
    assert!(validate_iodef(&python, &wrong).is_err());

    // What went: the incident and its times, assessment and contact; an
    // event for each shared observable, an indicator for each IOC among
    // them, the response action as history.
    for part in [
        "<IncidentID name=\"ISIRT (rampart/".to_owned(),
        format!(">{n}</IncidentID>"),
        "Ransomware on a &lt;file&gt; server &amp; co".to_owned(),
        "<StartTime>2026-01-01T09:00:00.000Z</StartTime>".to_owned(),
        "<DetectTime>2026-01-02T09:00:00.000Z</DetectTime>".to_owned(),
        "<IncidentCategory>rsit:malicious-code/infected-system</IncidentCategory>".to_owned(),
        "<MonetaryImpact currency=\"EUR\">15100.75</MonetaryImpact>".to_owned(),
        "<Contact role=\"irt\" type=\"organization\">".to_owned(),
        "<Address category=\"ipv4-addr\">198.51.100.7</Address>".to_owned(),
        "<Address category=\"ipv6-addr\">2001:db8::7</Address>".to_owned(),
        "<Name>c2-example.test</Name>".to_owned(),
        "<Address category=\"site-uri\">https://c2-example.test/a?b=1&amp;c=2</Address>".to_owned(),
        "<Address category=\"e-mail\">ops@example.org</Address>".to_owned(),
        "<ds:DigestValue>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ds:DigestValue>".to_owned(),
        "<Description>Observed IP address: C2 &quot;beacon&quot;</Description>".to_owned(),
        "isolate the file server (planned)".to_owned(),
    ] {
        assert!(text.contains(&part), "{part} not in\n{text}");
    }
    assert_eq!(text.matches("<EventData").count(), 6, "{text}");
    assert_eq!(text.matches("<Indicator ").count(), 3, "{text}");
    assert_eq!(text.matches("<HistoryItem").count(), 1, "{text}");
    for never in ["internal.example.org", "secret-source.test", "svc-backup"] {
        assert!(
            !text.contains(never),
            "{never} left in an AMBER IODEF document"
        );
    }
    // The same indicator ids at the next export.
    let ids = |t: &str| -> Vec<String> {
        t.split("<IndicatorID ")
            .skip(1)
            .map(|p| p.split('<').next().unwrap().to_owned())
            .collect()
    };
    let (_, again) = fetch(&app, &ian, &n, "iodef", "AMBER").await;
    assert_eq!(ids(&again), ids(&text));

    // AMBER+STRICT receives the account, marked as IODEF extends it.
    let (status, strict) = fetch(&app, &ian, &n, "iodef", "AMBER+STRICT").await;
    assert_eq!(status, StatusCode::OK);
    validate_iodef(&python, &strict).unwrap_or_else(|e| panic!("xmllint: {e}\n{strict}"));
    assert!(strict.contains(
        "<Address category=\"ext-value\" ext-category=\"user-account\">svc-backup</Address>"
    ));
    assert!(strict.contains("restriction=\"ext-value\" ext-restriction=\"amber+strict\""));
    assert!(!strict.contains("internal.example.org"));

    // Not to a GREEN audience; RED is no audience; nothing journaled.
    let seq = app.journal_len().await;
    let (status, _) = fetch(&app, &ian, &n, "iodef", "GREEN").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = fetch(&app, &ian, &n, "iodef", "RED").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.journal_len().await, seq);
    let rita = app.user("rita", &[Role::Reporter]).await;
    let (status, _) = fetch(&app, &rita, &n, "iodef", "AMBER").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // From the workspace, as a download.
    let (_, web) = crate::web::person(&app, "ivy", &[Role::IsirtMember]).await;
    let answer = app
        .client
        .get(format!(
            "http://{}/incidents/{n}/export/iodef?audience=AMBER",
            app.addr
        ))
        .header(
            reqwest::header::COOKIE,
            format!("rampart_session={}", web.cookie("rampart_session").unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["content-type"], "application/xml");
    assert_eq!(
        answer.headers()["content-disposition"],
        format!("attachment; filename=\"{n}-AMBER.iodef.xml\"").as_str()
    );
    let downloaded = answer.text().await.unwrap();
    validate_iodef(&python, &downloaded).unwrap_or_else(|e| panic!("xmllint: {e}"));
}

async fn publish(app: &TestApp, token: &str, n: &str, audience: Value) -> (StatusCode, Value) {
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/incidents/{n}/publication"),
        Some(token),
        Some(json!({ "audience": audience })),
    )
    .await
}

async fn published_incidents_make_a_misp_feed(app: TestApp) {
    let Some(python) = validator_python() else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let n = incident(&app, &pat, &ian, "ian", "Credential phishing").await;
    let quiet = incident(&app, &pat, &ian, "ian", "Not for sharing").await;
    app.post_ok(
        &format!("/api/v1/incidents/{n}/observables"),
        &ian,
        json!({"type": "domain", "value": "login-example.test", "tlp": "AMBER", "ioc": true}),
        StatusCode::CREATED,
    )
    .await;

    // Publishing is for those who approve communications, for the
    // incident's own marking (AMBER) or a narrower audience, never RED.
    let (status, _) = publish(&app, &ian, &n, json!("AMBER")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for bad in [json!("GREEN"), json!("RED")] {
        let (status, problem) = publish(&app, &mia, &n, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {problem}");
        assert_eq!(fields(&problem), ["audience"], "{problem}");
    }
    let seq = app.journal_len().await;
    let (status, published) = publish(&app, &mia, &n, json!("AMBER")).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["published"], "AMBER");
    assert_eq!(app.changes_after(seq).await, ["incident.published"]);

    // The AMBER feed lists it; the GREEN feed does not.
    let (status, manifest) = app
        .get("/api/v1/feeds/misp/amber/manifest.json", &ian)
        .await;
    assert_eq!(status, StatusCode::OK, "{manifest}");
    let uuids: Vec<&String> = manifest.as_object().unwrap().keys().collect();
    assert_eq!(uuids.len(), 1, "{manifest}");
    let uuid = uuids[0].clone();
    assert!(manifest[&uuid]["info"].as_str().unwrap().starts_with(&n));
    let (_, green) = app
        .get("/api/v1/feeds/misp/green/manifest.json", &ian)
        .await;
    assert_eq!(green, json!({}));

    // Each event the manifest lists is there, and PyMISP loads it.
    let (status, event) = app
        .get(&format!("/api/v1/feeds/misp/amber/{uuid}.json"), &ian)
        .await;
    assert_eq!(status, StatusCode::OK, "{event}");
    let loaded: Value = serde_json::from_str(&run_validator(
        &python,
        LOAD_MISP,
        event.to_string().as_bytes(),
    ))
    .unwrap();
    assert_eq!(loaded["uuid"], uuid.as_str());
    assert_eq!(loaded["attributes"][0][2], "login-example.test");
    let (status, _) = app
        .get(
            "/api/v1/feeds/misp/amber/00000000-0000-4000-8000-000000000000.json",
            &ian,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A restricted incident is not published; withdrawn, one leaves the feed.
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/incidents/{quiet}/restriction"),
            Some(&ian),
            Some(json!({"users": ["ian", "mia"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = publish(&app, &mia, &quiet, json!("AMBER")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = publish(&app, &mia, &n, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let (_, manifest) = app
        .get("/api/v1/feeds/misp/amber/manifest.json", &ian)
        .await;
    assert_eq!(manifest, json!({}));
    let (status, problem) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/incidents/{n}/publication"),
            Some(&mia),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}
