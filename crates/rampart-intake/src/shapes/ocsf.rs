//! OCSF 1.x findings: Detection Finding (class 2004) and the older Security
//! Finding (class 2001, whose finding details sit under `finding` rather than
//! `finding_info`).

use rampart_domain::{AlertSeverity, EventReport, ObservableType};
use serde_json::Value;

use super::json::{integer_at, items_at, lookup, text_at, texts_at, time_at};
use super::{Draft, FieldErrors, line, sensor, text};

const DETECTION_FINDING: i64 = 2004;
const SECURITY_FINDING: i64 = 2001;

/// OCSF fields kept as attributes, by path below the document (`{f}` is the
/// finding object).
const ATTRIBUTES: &[&str] = &[
    "class_name",
    "category_name",
    "activity_name",
    "type_uid",
    "severity",
    "status",
    "confidence",
    "risk_level",
    "disposition",
    "action",
    "metadata.version",
    "metadata.product.version",
    "metadata.product.uid",
    "{f}.types",
    "{f}.analytic.name",
    "{f}.analytic.uid",
    "{f}.src_url",
    "{f}.product_uid",
];

/// An OCSF Detection Finding (or Security Finding) as a sensor report.
/// Unknown fields are ignored; errors name the JSON path of each problem.
pub fn ocsf(value: &Value) -> Result<EventReport, FieldErrors> {
    if !value.is_object() {
        return Err(vec![("$".to_owned(), "must be a JSON object".to_owned())]);
    }
    let mut errors: FieldErrors = Vec::new();
    let mut error = |path: &str, message: String| errors.push((path.to_owned(), message));
    let class = integer_at(value, "class_uid");
    match &class {
        Ok(Some(DETECTION_FINDING | SECURITY_FINDING)) => {}
        Ok(Some(other)) => error(
            "class_uid",
            format!(
                "must be {DETECTION_FINDING} (Detection Finding) or {SECURITY_FINDING} (Security Finding), not {other}"
            ),
        ),
        Ok(None) => error("class_uid", "is required".to_owned()),
        Err(e) => error("class_uid", e.clone()),
    }
    let f = if class == Ok(Some(SECURITY_FINDING))
        && lookup(value, "finding").is_some()
        && lookup(value, "finding_info").is_none()
    {
        "finding"
    } else {
        "finding_info"
    };
    let at = |field: &str| format!("{f}.{field}");
    let title = text_at(value, &at("title")).and_then(|t| line(&t));
    if title.is_none() {
        error(&at("title"), "is required".to_owned());
    }
    let severity = match integer_at(value, "severity_id") {
        Ok(id) => severity(id).unwrap_or_else(|()| {
            error(
                "severity_id",
                "must be 0-6 or 99 (Unknown, Informational, Low, Medium, High, Critical, Fatal, Other)"
                    .to_owned(),
            );
            None
        }),
        Err(e) => {
            error("severity_id", e);
            None
        }
    };
    let mut time = |path: &str| {
        time_at(value, path).unwrap_or_else(|e| {
            error(path, e);
            None
        })
    };
    let first_seen = time(&at("first_seen_time"));
    let event_time = time("time");
    let last_seen = time(&at("last_seen_time"));
    let (Some(title), true) = (title, errors.is_empty()) else {
        return Err(errors);
    };

    let mut draft = Draft {
        severity,
        occurred_at: first_seen.or(event_time),
        ..Draft::default()
    };
    for hostname in texts_at(value, "device.hostname") {
        draft.observe(ObservableType::Host, &hostname);
        draft.asset(&hostname);
    }
    for ip in texts_at(value, "device.ip") {
        draft.observe(ObservableType::Ip, &ip);
    }
    endpoints(&mut draft, value);
    for resource in items_at(value, "resources") {
        if let Some(name) = text_at(resource, "name").or_else(|| text_at(resource, "uid")) {
            draft.asset(&name);
        }
    }
    for evidence in items_at(value, "evidences") {
        evidence_observables(&mut draft, evidence);
    }
    for observable in items_at(value, "observables") {
        let kind = match integer_at(observable, "type_id") {
            Ok(Some(1)) => ObservableType::Host,
            Ok(Some(2)) => ObservableType::Ip,
            Ok(Some(4)) => ObservableType::Account,
            Ok(Some(5)) => ObservableType::Email,
            Ok(Some(6)) => ObservableType::Url,
            Ok(Some(8)) => ObservableType::Hash,
            _ => continue,
        };
        if let Some(v) = text_at(observable, "value") {
            draft.observe(kind, &v);
        }
    }

    for path in ATTRIBUTES {
        let path = path.replace("{f}", f);
        let values = texts_at(value, &path);
        if !values.is_empty() {
            draft.attribute(&path, &values.join(", "));
        }
    }
    if let Some(last) = last_seen {
        draft.attribute(&at("last_seen_time"), &last.to_rfc3339());
    }

    let description = text_at(value, &at("desc"))
        .or_else(|| text_at(value, "message"))
        .and_then(|d| text(&d))
        .unwrap_or_else(|| title.clone());
    let vendor = text_at(value, "metadata.product.vendor_name");
    let product = text_at(value, "metadata.product.name");
    let name = match (vendor, product) {
        (Some(v), Some(p)) if p.to_lowercase().starts_with(&v.to_lowercase()) => p,
        (Some(v), Some(p)) => format!("{v} {p}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "OCSF".to_owned(),
    };
    let reference = text_at(value, &at("uid"));
    Ok(draft.into_report(title, description, sensor(&name, reference.as_deref())))
}

/// `Ok(None)` for Unknown and Other; `Err` for an id OCSF does not define.
fn severity(id: Option<i64>) -> Result<Option<AlertSeverity>, ()> {
    Ok(match id {
        None | Some(0 | 99) => None,
        Some(1) => Some(AlertSeverity::Info),
        Some(2) => Some(AlertSeverity::Low),
        Some(3) => Some(AlertSeverity::Medium),
        Some(4) => Some(AlertSeverity::High),
        Some(5 | 6) => Some(AlertSeverity::Critical),
        Some(_) => return Err(()),
    })
}

/// The actor's user and the source and destination endpoints of an object.
fn endpoints(draft: &mut Draft, object: &Value) {
    for path in ["actor.user.name", "user.name", "actor.process.user.name"] {
        for user in texts_at(object, path) {
            draft.observe_user(&user);
        }
    }
    for side in ["src_endpoint", "dst_endpoint"] {
        for ip in texts_at(object, &format!("{side}.ip")) {
            draft.observe(ObservableType::Ip, &ip);
        }
        for host in texts_at(object, &format!("{side}.hostname")) {
            draft.observe_host(&host);
        }
    }
}

/// Indicators in one evidence artifact.
fn evidence_observables(draft: &mut Draft, evidence: &Value) {
    endpoints(draft, evidence);
    for path in ["device.hostname", "device.ip"] {
        for host in texts_at(evidence, path) {
            draft.observe_host(&host);
        }
    }
    for path in [
        "file.hashes",
        "process.file.hashes",
        "process.parent_process.file.hashes",
    ] {
        for hash in items_at(evidence, path) {
            if let Some(v) = text_at(hash, "value") {
                draft.observe(ObservableType::Hash, &v);
            }
        }
    }
    for url in texts_at(evidence, "url.url_string") {
        draft.observe(ObservableType::Url, &url);
    }
    for domain in texts_at(evidence, "query.hostname") {
        draft.observe(ObservableType::Domain, &domain);
    }
    for path in ["email.from", "email.to"] {
        for address in texts_at(evidence, path) {
            draft.observe(ObservableType::Email, &address);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_domain::{SourceKind, Timestamp};
    use serde_json::json;

    fn finding() -> Value {
        json!({
            "class_uid": 2004,
            "class_name": "Detection Finding",
            "category_uid": 2,
            "activity_id": 1,
            "type_uid": 200401,
            "severity_id": 4,
            "time": 1764489600000_i64,
            "message": "Credential dumping detected on FIN-LAPTOP-07",
            "metadata": {
                "version": "1.3.0",
                "product": {"name": "Falcon Sensor", "vendor_name": "Kestrel Security", "version": "7.10"}
            },
            "finding_info": {
                "uid": "det-5f2a9c",
                "title": "LSASS memory read by unsigned process",
                "desc": "An unsigned binary opened lsass.exe with PROCESS_VM_READ.",
                "types": ["Credential Access", "OS Credential Dumping"],
                "first_seen_time": 1764489500000_i64,
                "last_seen_time": 1764489590000_i64,
                "analytic": {"name": "lsass-access", "type_id": 1}
            },
            "device": {"hostname": "FIN-LAPTOP-07.corp.example", "ip": "10.20.30.40", "os": {"name": "Windows"}},
            "actor": {"user": {"name": "CORP\\mrossi"}},
            "src_endpoint": {"ip": "10.20.30.40"},
            "dst_endpoint": {"ip": "198.51.100.23"},
            "resources": [{"name": "Finance laptops", "type": "group"}, {"uid": "i-0abc"}],
            "evidences": [
                {"process": {"name": "dump.exe", "file": {"hashes": [{"algorithm_id": 3, "value": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}]}}},
                {"url": {"url_string": "https://drop.evil.example/upload"}, "query": {"hostname": "drop.evil.example"}}
            ],
            "observables": [
                {"name": "actor.user.email", "type_id": 5, "value": "m.rossi@Corp.Example"},
                {"name": "x", "type_id": 2, "value": "not an ip"},
                {"name": "mac", "type_id": 3, "value": "aa:bb:cc:dd:ee:ff"}
            ],
            "unmapped": {"vendor_specific": true}
        })
    }

    #[test]
    fn a_detection_finding() {
        let report = ocsf(&finding()).unwrap();
        assert_eq!(
            report.title.as_str(),
            "LSASS memory read by unsigned process"
        );
        assert_eq!(
            report.description.as_str(),
            "An unsigned binary opened lsass.exe with PROCESS_VM_READ."
        );
        let source = report.source.as_ref().unwrap();
        assert_eq!(source.kind, SourceKind::Sensor);
        assert_eq!(
            source.name.as_ref().unwrap().as_str(),
            "Kestrel Security Falcon Sensor"
        );
        assert_eq!(source.reference.as_ref().unwrap().as_str(), "det-5f2a9c");
        assert_eq!(report.severity, Some(AlertSeverity::High));
        assert_eq!(
            report.occurred_at.unwrap().to_rfc3339(),
            "2025-11-30T07:58:20.000000Z"
        );
        let obs: Vec<String> = report
            .observables
            .iter()
            .map(|o| format!("{}:{}", o.kind, o.value))
            .collect();
        assert_eq!(
            obs,
            [
                "host:fin-laptop-07.corp.example",
                "ip:10.20.30.40",
                "account:CORP\\mrossi",
                "ip:198.51.100.23",
                "hash:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "url:https://drop.evil.example/upload",
                "domain:drop.evil.example",
                "email:m.rossi@corp.example",
            ]
        );
        let assets: Vec<&str> = report.assets.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            assets,
            ["FIN-LAPTOP-07.corp.example", "Finance laptops", "i-0abc"]
        );
        assert_eq!(
            report.attributes["finding_info.types"],
            "Credential Access, OS Credential Dumping"
        );
        assert_eq!(report.attributes["class_name"], "Detection Finding");
        assert_eq!(
            report.attributes["finding_info.last_seen_time"],
            "2025-11-30T07:59:50.000000Z"
        );
        report
            .validate(Timestamp::parse("2026-01-01T00:00:00Z").unwrap())
            .unwrap();
    }

    #[test]
    fn an_older_security_finding() {
        let v = json!({
            "class_uid": 2001,
            "severity_id": 6,
            "time": "2026-11-30T08:00:00Z",
            "finding": {"title": "Root login from new country", "uid": "sf-1"},
            "metadata": {"product": {"vendor_name": "Acme"}}
        });
        let report = ocsf(&v).unwrap();
        assert_eq!(report.title.as_str(), "Root login from new country");
        assert_eq!(report.description.as_str(), "Root login from new country");
        assert_eq!(report.severity, Some(AlertSeverity::Critical));
        let source = report.source.unwrap();
        assert_eq!(source.name.unwrap().as_str(), "Acme");
        assert_eq!(source.reference.unwrap().as_str(), "sf-1");
    }

    #[test]
    fn problems_name_their_paths() {
        let paths = |v: Value| -> Vec<String> {
            ocsf(&v).unwrap_err().into_iter().map(|(p, _)| p).collect()
        };
        assert_eq!(
            paths(json!({"class_uid": 4001})),
            ["class_uid", "finding_info.title"]
        );
        assert_eq!(
            paths(
                json!({"finding_info": {"title": "t", "first_seen_time": "yesterday"}, "severity_id": 9})
            ),
            ["class_uid", "severity_id", "finding_info.first_seen_time"]
        );
        assert_eq!(
            paths(json!({"class_uid": "2004", "finding_info": {"title": " "}})),
            ["class_uid", "finding_info.title"]
        );
        assert_eq!(paths(json!([])), ["$"]);
        let (_, message) =
            &ocsf(&json!({"class_uid": 3002, "finding_info": {"title": "t"}})).unwrap_err()[0];
        assert!(message.contains("not 3002"), "{message}");
    }
}
