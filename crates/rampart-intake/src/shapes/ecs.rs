//! Elastic Common Schema alerts (`event.kind: alert`), with nested objects,
//! dotted keys, or both.

use rampart_domain::{AlertSeverity, EventReport, ObservableType};
use serde_json::Value;

use super::json::{lookup, text_at, texts_at, time_at};
use super::{Draft, FieldErrors, line, sensor, text};

/// ECS fields kept as attributes.
const ATTRIBUTES: &[&str] = &[
    "rule.id",
    "rule.uuid",
    "rule.category",
    "rule.ruleset",
    "rule.reference",
    "event.module",
    "event.dataset",
    "event.category",
    "event.type",
    "event.action",
    "event.outcome",
    "event.severity",
    "observer.vendor",
    "observer.product",
    "observer.type",
    "agent.type",
    "kibana.alert.severity",
    "kibana.alert.risk_score",
    "kibana.alert.rule.uuid",
    "threat.tactic.name",
    "threat.technique.id",
    "threat.technique.name",
    "tags",
];

/// Where the source name is taken from, first present wins.
const SOURCE_NAMES: &[&str] = &[
    "observer.name",
    "observer.vendor",
    "agent.name",
    "event.module",
];

/// ECS fields holding observables, by kind, in the order they are read
/// (accounts through the user-name rules).
const OBSERVED: &[(ObservableType, &[&str])] = &[
    (
        ObservableType::Ip,
        &["host.ip", "source.ip", "destination.ip"],
    ),
    (
        ObservableType::Domain,
        &[
            "source.domain",
            "destination.domain",
            "dns.question.name",
            "url.domain",
        ],
    ),
    (ObservableType::Account, &["user.name"]),
    (ObservableType::Url, &["url.full", "url.original"]),
    (
        ObservableType::Hash,
        &[
            "file.hash.sha256",
            "file.hash.sha1",
            "file.hash.md5",
            "process.hash.sha256",
        ],
    ),
    (ObservableType::Email, &["email.from.address"]),
];

/// An ECS alert as a sensor report. Unknown fields are ignored; errors name
/// the (dotted) path of each problem.
pub fn ecs(value: &Value) -> Result<EventReport, FieldErrors> {
    if !value.is_object() {
        return Err(vec![("$".to_owned(), "must be a JSON object".to_owned())]);
    }
    let mut errors: FieldErrors = Vec::new();
    let mut error = |path: &str, message: String| errors.push((path.to_owned(), message));
    match text_at(value, "event.kind") {
        Some(kind) if kind == "alert" || kind == "signal" => {}
        Some(kind) => error(
            "event.kind",
            format!(
                "must be `alert`, not `{}`",
                kind.chars().take(40).collect::<String>()
            ),
        ),
        None => error("event.kind", "is required and must be `alert`".to_owned()),
    }
    let title = ["rule.name", "kibana.alert.rule.name", "message"]
        .iter()
        .find_map(|path| text_at(value, path).and_then(|t| line(&t)));
    if title.is_none() {
        error("rule.name", "is required (or a message)".to_owned());
    }
    let severity = match severity(value) {
        Ok(s) => s,
        Err((path, message)) => {
            error(path, message);
            None
        }
    };
    let occurred_at = time_at(value, "@timestamp").unwrap_or_else(|e| {
        error("@timestamp", e);
        None
    });
    let (Some(title), true) = (title, errors.is_empty()) else {
        return Err(errors);
    };

    let mut draft = Draft {
        severity,
        occurred_at,
        ..Draft::default()
    };
    for host in texts_at(value, "host.name") {
        draft.observe_host(&host);
        draft.asset(&host);
    }
    for (kind, paths) in OBSERVED {
        for path in *paths {
            for text in texts_at(value, path) {
                match kind {
                    ObservableType::Account => draft.observe_user(&text),
                    _ => draft.observe(*kind, &text),
                }
            }
        }
    }
    for path in ATTRIBUTES {
        let values = texts_at(value, path);
        if !values.is_empty() {
            draft.attribute(path, &values.join(", "));
        }
    }

    let description = ["rule.description", "kibana.alert.reason", "message"]
        .iter()
        .find_map(|path| text_at(value, path).and_then(|d| text(&d)))
        .unwrap_or_else(|| title.clone());
    let name = SOURCE_NAMES
        .iter()
        .find_map(|path| text_at(value, path))
        .unwrap_or_else(|| "ECS".to_owned());
    let reference = text_at(value, "event.id").or_else(|| text_at(value, "kibana.alert.uuid"));
    Ok(draft.into_report(title, description, sensor(&name, reference.as_deref())))
}

/// `event.severity` (a number on Elastic's 0-100 scale: below 22 low, below
/// 48 medium, below 74 high, else critical), else `kibana.alert.severity`
/// (a word), else `kibana.alert.risk_score` (the same scale).
fn severity(value: &Value) -> Result<Option<AlertSeverity>, (&'static str, String)> {
    let score = |path: &'static str| -> Result<Option<AlertSeverity>, (&'static str, String)> {
        let number = match lookup(value, path) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            Some(_) => None,
        };
        match number {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(match n {
                n if n < 22.0 => AlertSeverity::Low,
                n if n < 48.0 => AlertSeverity::Medium,
                n if n < 74.0 => AlertSeverity::High,
                _ => AlertSeverity::Critical,
            })),
            _ => Err((path, "must be a number from 0 upwards".to_owned())),
        }
    };
    if let Some(s) = score("event.severity")? {
        return Ok(Some(s));
    }
    if let Some(word) = text_at(value, "kibana.alert.severity") {
        return match word.to_ascii_lowercase().as_str() {
            "info" | "informational" => Ok(Some(AlertSeverity::Info)),
            "low" => Ok(Some(AlertSeverity::Low)),
            "medium" => Ok(Some(AlertSeverity::Medium)),
            "high" => Ok(Some(AlertSeverity::High)),
            "critical" => Ok(Some(AlertSeverity::Critical)),
            _ => Err((
                "kibana.alert.severity",
                "must be low, medium, high or critical".to_owned(),
            )),
        };
    }
    score("kibana.alert.risk_score")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_domain::{SourceKind, Timestamp};
    use serde_json::json;

    fn observables(report: &EventReport) -> Vec<String> {
        report
            .observables
            .iter()
            .map(|o| format!("{}:{}", o.kind, o.value))
            .collect()
    }

    #[test]
    fn a_nested_alert() {
        let v = json!({
            "@timestamp": "2026-11-30T07:45:12.345Z",
            "message": "Suricata: ET MALWARE beacon",
            "event": {"kind": "alert", "id": "a1b2c3", "module": "suricata", "severity": 75, "category": ["network", "intrusion_detection"]},
            "rule": {"name": "ET MALWARE Possible beacon", "description": "Periodic HTTPS beacon to a known C2 host", "id": "2027867"},
            "observer": {"name": "ids-dmz-1", "vendor": "OISF", "product": "Suricata"},
            "host": {"name": "web-03", "ip": ["10.0.5.3", "fe80::1"]},
            "source": {"ip": "10.0.5.3"},
            "destination": {"ip": "203.0.113.50", "domain": "c2.evil.example"},
            "url": {"full": "https://c2.evil.example/p", "original": "/p"},
            "user": {"name": "www-data"},
            "file": {"hash": {"sha256": "not-a-hash", "md5": "44d88612fea8a8f36de82e1278abb02f"}},
            "dns": {"question": {"name": "c2.evil.example"}},
            "email": {"from": {"address": ["phisher@evil.example"]}}
        });
        let report = ecs(&v).unwrap();
        assert_eq!(report.title.as_str(), "ET MALWARE Possible beacon");
        assert_eq!(
            report.description.as_str(),
            "Periodic HTTPS beacon to a known C2 host"
        );
        let source = report.source.as_ref().unwrap();
        assert_eq!(source.kind, SourceKind::Sensor);
        assert_eq!(source.name.as_ref().unwrap().as_str(), "ids-dmz-1");
        assert_eq!(source.reference.as_ref().unwrap().as_str(), "a1b2c3");
        assert_eq!(report.severity, Some(AlertSeverity::Critical));
        assert_eq!(
            report.occurred_at.unwrap().to_rfc3339(),
            "2026-11-30T07:45:12.345000Z"
        );
        assert_eq!(
            observables(&report),
            [
                "host:web-03",
                "ip:10.0.5.3",
                "ip:fe80::1",
                "ip:203.0.113.50",
                "domain:c2.evil.example",
                "account:www-data",
                "url:https://c2.evil.example/p",
                "hash:44d88612fea8a8f36de82e1278abb02f",
                "email:phisher@evil.example",
            ]
        );
        assert_eq!(
            report.attributes["event.category"],
            "network, intrusion_detection"
        );
        assert_eq!(report.attributes["rule.id"], "2027867");
        report
            .validate(Timestamp::parse("2026-11-30T08:00:00Z").unwrap())
            .unwrap();
    }

    #[test]
    fn a_dotted_kibana_alert() {
        let v = json!({
            "@timestamp": "2026-11-30T07:45:12Z",
            "event.kind": "signal",
            "kibana.alert.rule.name": "Brute force",
            "kibana.alert.severity": "medium",
            "kibana.alert.uuid": "k-77",
            "agent": {"name": "elastic-agent-9"},
            "host.name": "db-01"
        });
        let report = ecs(&v).unwrap();
        assert_eq!(report.title.as_str(), "Brute force");
        assert_eq!(report.severity, Some(AlertSeverity::Medium));
        let source = report.source.unwrap();
        assert_eq!(source.name.unwrap().as_str(), "elastic-agent-9");
        assert_eq!(source.reference.unwrap().as_str(), "k-77");
    }

    #[test]
    fn severity_scale() {
        let at = |n: f64| severity(&json!({"event.severity": n})).unwrap();
        assert_eq!(at(0.0), Some(AlertSeverity::Low));
        assert_eq!(at(21.0), Some(AlertSeverity::Low));
        assert_eq!(at(22.0), Some(AlertSeverity::Medium));
        assert_eq!(at(47.0), Some(AlertSeverity::Medium));
        assert_eq!(at(48.0), Some(AlertSeverity::High));
        assert_eq!(at(73.0), Some(AlertSeverity::High));
        assert_eq!(at(74.0), Some(AlertSeverity::Critical));
        assert_eq!(at(100.0), Some(AlertSeverity::Critical));
        assert_eq!(
            severity(&json!({"kibana": {"alert": {"risk_score": 50}}})).unwrap(),
            Some(AlertSeverity::High)
        );
        assert_eq!(severity(&json!({})).unwrap(), None);
    }

    #[test]
    fn problems_name_their_paths() {
        let paths = |v: Value| -> Vec<String> {
            ecs(&v).unwrap_err().into_iter().map(|(p, _)| p).collect()
        };
        assert_eq!(paths(json!({})), ["event.kind", "rule.name"]);
        assert_eq!(
            paths(
                json!({"event": {"kind": "event", "severity": "high"}, "message": "m", "@timestamp": 1.5e300})
            ),
            ["event.kind", "event.severity", "@timestamp"]
        );
        assert_eq!(
            paths(
                json!({"event.kind": "alert", "rule.name": "r", "kibana.alert.severity": "urgent"})
            ),
            ["kibana.alert.severity"]
        );
        assert_eq!(paths(json!("alert")), ["$"]);
    }
}
