//! MISP events (`{"Event": {...}}`, as MISP exports them and serves them in
//! feeds): one report per event, its attributes (and those of its objects)
//! as observables, its `tlp:` tag as the report's marking.

use rampart_domain::{AlertSeverity, EventReport, ObservableType, Tlp};
use serde_json::Value;

use super::{Draft, FieldErrors, headline, sensor, text};

/// Most attributes read from one event (its objects' included).
const MAX_READ: usize = 5_000;

/// The observable kinds of a MISP attribute type; composite types
/// (`domain|ip`, `filename|sha256`) give one for each part that is one.
fn kinds(misp_type: &str) -> Vec<Option<ObservableType>> {
    misp_type
        .split('|')
        .map(|part| match part {
            "ip-src" | "ip-dst" | "ip" => Some(ObservableType::Ip),
            "domain" => Some(ObservableType::Domain),
            "hostname" => Some(ObservableType::Host),
            "url" | "link" | "uri" => Some(ObservableType::Url),
            "email" | "email-src" | "email-dst" | "email-reply-to" => Some(ObservableType::Email),
            "md5" | "sha1" | "sha256" | "sha512" => Some(ObservableType::Hash),
            "target-user" | "github-username" | "user-account" => Some(ObservableType::Account),
            _ => None,
        })
        .collect()
}

/// The event's attributes, its objects' after its own, at most [`MAX_READ`].
fn attributes(event: &Value) -> impl Iterator<Item = &Value> {
    let own = event["Attribute"].as_array().into_iter().flatten();
    let in_objects = event["Object"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|o| o["Attribute"].as_array().into_iter().flatten());
    own.chain(in_objects).take(MAX_READ)
}

/// A MISP event as a sensor report (source `misp`, reference the event's
/// uuid, so importing it again is a repeat).
pub fn misp(value: &Value) -> Result<EventReport, FieldErrors> {
    let event = &value["Event"];
    if !event.is_object() {
        return Err(vec![("Event".into(), "must be a MISP event object".into())]);
    }
    let Some(title) = event["info"].as_str().and_then(|t| headline(t, 200)) else {
        return Err(vec![(
            "Event.info".into(),
            "is required: the event's title".into(),
        )]);
    };
    let uuid = event["uuid"].as_str().filter(|u| !u.trim().is_empty());
    let severity = match event["threat_level_id"].as_str() {
        Some("1") => Some(AlertSeverity::High),
        Some("2") => Some(AlertSeverity::Medium),
        Some("3") => Some(AlertSeverity::Low),
        _ => None,
    };
    let mut draft = Draft {
        severity,
        ..Draft::default()
    };
    for attribute in attributes(event) {
        let (Some(kind), Some(value)) = (attribute["type"].as_str(), attribute["value"].as_str())
        else {
            continue;
        };
        for (kind, part) in kinds(kind).into_iter().zip(value.split('|')) {
            if let Some(kind) = kind {
                draft.observe(kind, part);
            }
        }
    }
    if let Some(uuid) = uuid {
        draft.attribute("misp_event", uuid);
    }
    let tags: Vec<&str> = event["Tag"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    if !tags.is_empty() {
        draft.attribute("misp_tags", &tags.join(", "));
    }
    let description = text(&format!(
        "Imported from the MISP event {}{}",
        uuid.unwrap_or("without a uuid"),
        event["Orgc"]["name"]
            .as_str()
            .map(|o| format!(" of {o}"))
            .unwrap_or_default()
    ))
    .unwrap_or_else(|| title.clone());
    let mut report = draft.into_report(title, description, sensor("misp", uuid));
    report.tlp = tags
        .iter()
        .find_map(|t| t.strip_prefix("tlp:"))
        .and_then(|t| Tlp::parse_lenient(&t.to_ascii_uppercase()).ok());
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_objects_and_composites_become_observables() {
        let event = json!({"Event": {
            "uuid": "5f1e8d2a-0000-4000-8000-000000000001", "info": "Phishing\nwave",
            "threat_level_id": "1", "Tag": [{"name": "tlp:green"}, {"name": "rsit:fraud=\"phishing\""}],
            "Attribute": [
                {"type": "ip-dst", "value": "198.51.100.7"},
                {"type": "domain|ip", "value": "bad.example|203.0.113.9"},
                {"type": "ip-dst", "value": "not an address"},
                {"type": "comment", "value": "ignored"}
            ],
            "Object": [{"Attribute": [{"type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}]}]
        }});
        let report = misp(&event).unwrap();
        assert_eq!(report.title.as_str(), "Phishing wave");
        assert_eq!(report.tlp, Some(Tlp::Green));
        assert_eq!(report.severity, Some(AlertSeverity::High));
        let values: Vec<&str> = report
            .observables
            .iter()
            .map(|o| o.value.as_str())
            .collect();
        assert_eq!(
            values,
            [
                "198.51.100.7",
                "bad.example",
                "203.0.113.9",
                "da39a3ee5e6b4b0d3255bfef95601890afd80709"
            ]
        );
        let source = report.source.unwrap().reference.unwrap();
        assert_eq!(source.as_str(), "5f1e8d2a-0000-4000-8000-000000000001");
    }

    #[test]
    fn an_event_without_a_title_is_refused_by_name() {
        let errors = misp(&json!({"Event": {"Attribute": []}})).unwrap_err();
        assert_eq!(errors[0].0, "Event.info");
        assert_eq!(misp(&json!({"Event": 3})).unwrap_err()[0].0, "Event");
    }
}
