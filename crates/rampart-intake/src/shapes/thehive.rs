//! TheHive 5 alerts (`POST /api/v1/alert`), and TheHive 4's, whose
//! observables are called `artifacts`: strict, since the sender is a
//! connector talking to an API, not a log line. Every problem is named by
//! its field; nothing of a refused alert is kept.
//!
//! `source` and `sourceRef` become the source's name and reference, so a
//! repeat of an alert is counted on the first event. Observables whose
//! `dataType` has a Rampart kind become observables; the other data types
//! TheHive knows are kept as text in the event's attributes
//! (`thehive.<dataType>`, a JSON list); a data type TheHive does not know
//! is refused.

use rampart_domain::{AlertSeverity, EventReport, Observable, ObservableType, Pap, Text, Tlp};
use serde_json::Value;

use super::{Draft, FieldErrors, from_epoch_millis, sensor};

/// Most observables taken from one alert.
const MAX_OBSERVABLES: usize = 1_000;

/// The fields of TheHive's alert body; any other is refused.
const FIELDS: &[&str] = &[
    "type",
    "source",
    "sourceRef",
    "externalLink",
    "title",
    "description",
    "severity",
    "date",
    "lastSyncDate",
    "tags",
    "flag",
    "follow",
    "tlp",
    "pap",
    "customFields",
    "summary",
    "status",
    "assignee",
    "caseTemplate",
    "observables",
    "artifacts",
    "procedures",
];

/// The fields of an observable; any other is refused.
const OBSERVABLE_FIELDS: &[&str] = &[
    "dataType",
    "data",
    "message",
    "startDate",
    "tlp",
    "pap",
    "tags",
    "ioc",
    "sighted",
    "sightedAt",
    "ignoreSimilarity",
];

/// TheHive's data types and the Rampart kind each becomes; `None` for
/// those kept as attributes.
pub const DATA_TYPES: &[(&str, Option<ObservableType>)] = &[
    ("ip", Some(ObservableType::Ip)),
    ("domain", Some(ObservableType::Domain)),
    ("fqdn", Some(ObservableType::Host)),
    ("hostname", Some(ObservableType::Host)),
    ("url", Some(ObservableType::Url)),
    ("hash", Some(ObservableType::Hash)),
    ("mail", Some(ObservableType::Email)),
    ("mail-address", Some(ObservableType::Email)),
    ("user", Some(ObservableType::Account)),
    ("account", Some(ObservableType::Account)),
    ("filename", None),
    ("mail_subject", None),
    ("uri_path", None),
    ("user-agent", None),
    ("registry", None),
    ("regexp", None),
    ("autonomous-system", None),
    ("other", None),
];

/// TheHive's severities, 1 to 4.
const SEVERITIES: [AlertSeverity; 4] = [
    AlertSeverity::Low,
    AlertSeverity::Medium,
    AlertSeverity::High,
    AlertSeverity::Critical,
];

/// TheHive's TLP numbers, 0 to 4.
pub const TLPS: [Tlp; 5] = [
    Tlp::Clear,
    Tlp::Green,
    Tlp::Amber,
    Tlp::Red,
    Tlp::AmberStrict,
];

/// TheHive's PAP numbers, 0 to 3.
pub const PAPS: [Pap; 4] = [Pap::Clear, Pap::Green, Pap::Amber, Pap::Red];

/// What an alert says beyond the event report: what the answer in
/// TheHive's shape needs.
#[derive(Debug, Clone)]
pub struct TheHiveAlert {
    pub report: EventReport,
    /// The alert's `type`.
    pub kind: String,
    pub tags: Vec<String>,
}

/// The attribute that keeps the alert's `type`.
pub const TYPE_ATTRIBUTE: &str = "thehive.type";
/// The attribute that keeps the alert's tags, as a JSON list.
pub const TAGS_ATTRIBUTE: &str = "thehive.tags";

/// Whether a JSON document is a TheHive alert: an object whose `source`
/// and `sourceRef` are strings (Rampart's own `source` is an object).
pub fn is_thehive(value: &Value) -> bool {
    value.get("source").is_some_and(Value::is_string)
        && value.get("sourceRef").is_some_and(Value::is_string)
}

/// A TheHive alert as a sensor report.
pub fn thehive(value: &Value) -> Result<EventReport, FieldErrors> {
    thehive_alert(value).map(|a| a.report)
}

/// A TheHive alert as a sensor report, with its type and tags.
pub fn thehive_alert(value: &Value) -> Result<TheHiveAlert, FieldErrors> {
    let Some(object) = value.as_object() else {
        return Err(vec![("$".into(), "must be a JSON object".into())]);
    };
    let mut errors: FieldErrors = Vec::new();
    for key in object.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        errors.push((short(key), "is not a field of a TheHive alert".to_owned()));
    }
    let mut required = |field: &str, max: usize| -> Option<String> {
        match value.get(field) {
            Some(Value::String(s)) if s.trim().is_empty() => {
                errors.push((field.into(), "must not be empty".into()));
                None
            }
            Some(Value::String(s)) if s.chars().count() > max => {
                errors.push((field.into(), format!("is longer than {max} characters")));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_owned()),
            Some(_) => {
                errors.push((field.into(), "must be a string".into()));
                None
            }
            None => {
                errors.push((field.into(), "is required".into()));
                None
            }
        }
    };
    let kind = required("type", 200);
    let source = required("source", 200);
    let reference = required("sourceRef", 200);
    let title = required("title", 200);
    let description = required("description", rampart_domain::MAX_TEXT);
    let severity = number(value, "severity", 1, 4, &mut errors)
        .map(|n| SEVERITIES[usize::from(n) - 1])
        .unwrap_or(AlertSeverity::Medium);
    let tlp = number(value, "tlp", 0, 4, &mut errors).map_or(Tlp::Amber, |n| TLPS[usize::from(n)]);
    let pap = number(value, "pap", 0, 3, &mut errors).map_or(Pap::Amber, |n| PAPS[usize::from(n)]);
    let date = match value.get("date") {
        None | Some(Value::Null) => None,
        Some(d) => match d.as_i64().filter(|ms| *ms >= 0).and_then(from_epoch_millis) {
            Some(t) => Some(t),
            None => {
                errors.push((
                    "date".into(),
                    "must be a time in milliseconds since 1970".into(),
                ));
                None
            }
        },
    };
    let tags = strings(value, "tags", &mut errors);
    typed(
        value,
        "",
        &[
            ("externalLink", Kind::Text),
            ("summary", Kind::Text),
            ("status", Kind::Text),
            ("assignee", Kind::Text),
            ("caseTemplate", Kind::Text),
            ("flag", Kind::Flag),
            ("follow", Kind::Flag),
            ("lastSyncDate", Kind::Millis),
        ],
        &mut errors,
    );
    let mut draft = Draft {
        severity: Some(severity),
        occurred_at: date,
        ..Draft::default()
    };
    let mut kept: Vec<(String, String)> = Vec::new();
    // TheHive 4 called them `artifacts`; an alert may carry both.
    for field in ["observables", "artifacts"] {
        match value.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.len() > MAX_OBSERVABLES => errors.push((
                field.into(),
                format!("holds at most {MAX_OBSERVABLES} observables"),
            )),
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    observable(
                        item,
                        &format!("{field}[{i}]"),
                        &mut draft,
                        &mut kept,
                        &mut errors,
                    );
                }
            }
            Some(_) => errors.push((field.into(), "must be a list of observables".into())),
        }
    }
    let (Some(kind), Some(source), Some(reference), Some(title), Some(description), true) = (
        kind,
        source,
        reference,
        title,
        description,
        errors.is_empty(),
    ) else {
        return Err(errors);
    };
    draft.attribute(TYPE_ATTRIBUTE, &kind);
    if !tags.is_empty() {
        draft.attribute(TAGS_ATTRIBUTE, &Value::from(tags.clone()).to_string());
    }
    for field in ["externalLink", "summary"] {
        if let Some(text) = value.get(field).and_then(Value::as_str) {
            draft.attribute(&format!("thehive.{field}"), text);
        }
    }
    for (data_type, values) in group(kept) {
        draft.attribute(
            &format!("thehive.{data_type}"),
            &Value::from(values).to_string(),
        );
    }
    let mut report = draft.into_report(
        Text::lossy(&title.replace(['\n', '\r', '\t'], " ")),
        Text::lossy(&description),
        sensor(&source, Some(&reference)),
    );
    report.tlp = Some(tlp);
    report.pap = Some(pap);
    Ok(TheHiveAlert { report, kind, tags })
}

/// The source name and reference an alert's `source` and `sourceRef` are
/// stored under, for looking its event up.
pub fn source_key(source: &str, reference: &str) -> Option<(String, String)> {
    let source = sensor(source, Some(reference));
    Some((source.name?.to_string(), source.reference?.to_string()))
}

/// The field's name, cut for a message.
fn short(key: &str) -> String {
    key.chars().take(64).collect()
}

/// The JSON type a field accepted but not kept must have.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Flag,
    Millis,
}

/// Checks the types of optional fields (`null` is as good as absent).
fn typed(value: &Value, at: &str, fields: &[(&str, Kind)], errors: &mut FieldErrors) {
    for (field, kind) in fields {
        let Some(v) = value.get(*field).filter(|v| !v.is_null()) else {
            continue;
        };
        let (fits, wanted) = match kind {
            Kind::Text => (v.is_string(), "a string"),
            Kind::Flag => (v.is_boolean(), "true or false"),
            Kind::Millis => (
                v.as_i64().is_some_and(|ms| ms >= 0),
                "a time in milliseconds since 1970",
            ),
        };
        if !fits {
            errors.push((format!("{at}{field}"), format!("must be {wanted}")));
        }
    }
}

/// An optional whole number in `min..=max`.
fn number(value: &Value, field: &str, min: u8, max: u8, errors: &mut FieldErrors) -> Option<u8> {
    match value.get(field) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().and_then(|n| u8::try_from(n).ok()) {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                errors.push((
                    field.into(),
                    format!("must be a whole number from {min} to {max}"),
                ));
                None
            }
        },
    }
}

/// An optional list of strings.
fn strings(value: &Value, field: &str, errors: &mut FieldErrors) -> Vec<String> {
    match value.get(field) {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) if items.iter().all(Value::is_string) && items.len() <= 100 => {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(|t| t.trim().chars().take(200).collect::<String>())
                .filter(|t| !t.is_empty())
                .collect()
        }
        Some(_) => {
            errors.push((field.into(), "must be a list of at most 100 strings".into()));
            vec![]
        }
    }
}

/// Reads one observable: into the draft when its data type has a Rampart
/// kind, into `kept` when it is one TheHive knows without one.
fn observable(
    item: &Value,
    at: &str,
    draft: &mut Draft,
    kept: &mut Vec<(String, String)>,
    errors: &mut FieldErrors,
) {
    let Some(object) = item.as_object() else {
        errors.push((
            at.into(),
            "must be an object with `dataType` and `data`".into(),
        ));
        return;
    };
    for key in object
        .keys()
        .filter(|k| !OBSERVABLE_FIELDS.contains(&k.as_str()))
    {
        let message = if key == "attachment" || key == "isZip" || key == "zipPassword" {
            "is not supported: files are not taken with an alert; send the file's name and hash as `filename` and `hash` observables"
        } else {
            "is not a field of an observable"
        };
        errors.push((format!("{at}.{}", short(key)), message.into()));
    }
    let here = format!("{at}.");
    typed(
        item,
        &here,
        &[
            ("message", Kind::Text),
            ("startDate", Kind::Millis),
            ("sightedAt", Kind::Millis),
            ("ioc", Kind::Flag),
            ("sighted", Kind::Flag),
            ("ignoreSimilarity", Kind::Flag),
        ],
        errors,
    );
    for (field, max) in [("tlp", 4), ("pap", 3)] {
        if let Some(v) = item.get(field).filter(|v| !v.is_null())
            && v.as_u64().is_none_or(|n| n > max)
        {
            errors.push((
                format!("{at}.{field}"),
                format!("must be a whole number from 0 to {max}"),
            ));
        }
    }
    let mut found = Vec::new();
    strings(item, "tags", &mut found);
    errors.extend(found.into_iter().map(|(f, m)| (format!("{at}.{f}"), m)));
    let data_type = match object.get("dataType") {
        Some(Value::String(t)) => t.as_str(),
        Some(_) => return errors.push((format!("{at}.dataType"), "must be a string".into())),
        None => return errors.push((format!("{at}.dataType"), "is required".into())),
    };
    let Some((data_type, kind)) = DATA_TYPES.iter().find(|(t, _)| *t == data_type) else {
        let known: Vec<&str> = DATA_TYPES.iter().map(|(t, _)| *t).collect();
        let message = if data_type == "file" {
            "`file` is not supported: files are not taken with an alert; send the file's name and hash as `filename` and `hash` observables".to_owned()
        } else {
            format!(
                "`{}` is not a data type Rampart takes; known: {}",
                data_type.chars().take(40).collect::<String>(),
                known.join(", ")
            )
        };
        return errors.push((format!("{at}.dataType"), message));
    };
    let values: Vec<&str> = match object.get("data") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect()
        }
        Some(_) => {
            return errors.push((
                format!("{at}.data"),
                "must be a string or a list of strings".into(),
            ));
        }
        None => return errors.push((format!("{at}.data"), "is required".into())),
    };
    for (i, data) in values.into_iter().enumerate() {
        let field = if matches!(object.get("data"), Some(Value::Array(_))) {
            format!("{at}.data[{i}]")
        } else {
            format!("{at}.data")
        };
        match kind {
            Some(kind) => match Observable::new(*kind, data) {
                Ok(_) => draft.observe(*kind, data),
                Err(message) => errors.push((field, message)),
            },
            None => {
                let data = data.trim();
                if data.is_empty() || data.chars().any(char::is_control) {
                    errors.push((field, "must be one line of text".into()));
                } else {
                    kept.push(((*data_type).to_owned(), data.to_owned()));
                }
            }
        }
    }
}

/// Values by data type, in the order first seen, each once.
fn group(kept: Vec<(String, String)>) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (data_type, data) in kept {
        match groups.iter_mut().find(|(t, _)| *t == data_type) {
            Some((_, values)) if !values.contains(&data) => values.push(data),
            Some(_) => {}
            None => groups.push((data_type, vec![data])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alert() -> Value {
        json!({
            "type": "wazuh", "source": "wazuh-manager", "sourceRef": "1700000000.42",
            "title": "Brute force\ton ssh", "description": "12 failures from one address",
            "severity": 3, "date": 1_700_000_000_000_i64, "tlp": 4, "pap": 1,
            "tags": ["T1110", "ssh"], "externalLink": "https://siem.example/alerts/42",
            "observables": [
                {"dataType": "ip", "data": "198.51.100.7", "ioc": true},
                {"dataType": "fqdn", "data": ["web1.corp.example", "web2.corp.example"]},
                {"dataType": "filename", "data": "invoice.exe"},
                {"dataType": "hash", "data": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}
            ]
        })
    }

    #[test]
    fn an_alert_maps_onto_a_sensor_report() {
        let a = thehive_alert(&alert()).unwrap();
        let r = &a.report;
        assert_eq!(a.kind, "wazuh");
        assert_eq!(a.tags, ["T1110", "ssh"]);
        assert_eq!(r.title.as_str(), "Brute force on ssh");
        assert_eq!(r.severity, Some(AlertSeverity::High));
        assert_eq!(r.tlp, Some(Tlp::AmberStrict));
        assert_eq!(r.pap, Some(Pap::Green));
        assert_eq!(
            r.occurred_at.unwrap().as_offset().unix_timestamp(),
            1_700_000_000
        );
        let source = r.source.as_ref().unwrap();
        assert_eq!(source.name.as_ref().unwrap().as_str(), "wazuh-manager");
        assert_eq!(source.reference.as_ref().unwrap().as_str(), "1700000000.42");
        let observed: Vec<(&str, &str)> = r
            .observables
            .iter()
            .map(|o| (o.kind.as_str(), o.value.as_str()))
            .collect();
        assert_eq!(
            observed,
            [
                ("ip", "198.51.100.7"),
                ("host", "web1.corp.example"),
                ("host", "web2.corp.example"),
                ("hash", "da39a3ee5e6b4b0d3255bfef95601890afd80709")
            ]
        );
        assert_eq!(r.attributes["thehive.filename"], r#"["invoice.exe"]"#);
        assert_eq!(r.attributes[TYPE_ATTRIBUTE], "wazuh");
        assert_eq!(r.attributes[TAGS_ATTRIBUTE], r#"["T1110","ssh"]"#);
        assert_eq!(
            r.attributes["thehive.externalLink"],
            "https://siem.example/alerts/42"
        );
        r.validate(rampart_domain::Timestamp::from_unix(1_800_000_000).unwrap())
            .unwrap();
    }

    #[test]
    fn defaults_are_theirs() {
        let a = thehive_alert(&json!({"type": "t", "source": "s", "sourceRef": "r",
            "title": "t", "description": "d", "artifacts": [{"dataType": "mail", "data": "x@corp.example"}]}))
        .unwrap();
        assert_eq!(a.report.severity, Some(AlertSeverity::Medium));
        assert_eq!(a.report.tlp, Some(Tlp::Amber));
        assert_eq!(a.report.pap, Some(Pap::Amber));
        assert_eq!(a.report.observables[0].kind, ObservableType::Email);
    }

    #[test]
    fn bad_alerts_are_refused_by_field() {
        let cases = [
            (json!({"severity": 5}), "severity"),
            (json!({"tlp": -1}), "tlp"),
            (json!({"pap": "red"}), "pap"),
            (json!({"date": "yesterday"}), "date"),
            (json!({"title": ""}), "title"),
            (json!({"sourceRef": 7}), "sourceRef"),
            (json!({"colour": "red"}), "colour"),
            (json!({"tags": "one"}), "tags"),
            (
                json!({"observables": [{"dataType": "ipv7", "data": "x"}]}),
                "observables[0].dataType",
            ),
            (
                json!({"observables": [{"dataType": "file", "data": "x"}]}),
                "observables[0].dataType",
            ),
            (
                json!({"observables": [{"dataType": "ip", "data": "not an address"}]}),
                "observables[0].data",
            ),
            (
                json!({"observables": [{"dataType": "ip", "data": ["198.51.100.1", "x"]}]}),
                "observables[0].data[1]",
            ),
            (
                json!({"observables": [{"dataType": "ip", "data": "198.51.100.1", "attachment": "a"}]}),
                "observables[0].attachment",
            ),
            (
                json!({"observables": [{"data": "x"}]}),
                "observables[0].dataType",
            ),
            (json!({"observables": {}}), "observables"),
            (json!({"flag": "yes"}), "flag"),
            (json!({"lastSyncDate": -1}), "lastSyncDate"),
            (
                json!({"lastSyncDate": 9_223_372_036_854_775_808_u64}),
                "lastSyncDate",
            ),
            (
                json!({"artifacts": [{"dataType": "ip", "data": "x"}]}),
                "artifacts[0].data",
            ),
            (
                json!({"observables": [{"dataType": "ip", "data": "198.51.100.1", "ioc": 1}]}),
                "observables[0].ioc",
            ),
            (
                json!({"observables": [{"dataType": "ip", "data": "198.51.100.1", "tlp": 5}]}),
                "observables[0].tlp",
            ),
            (
                json!({"observables": [{"dataType": "ip", "data": "198.51.100.1", "tags": [1]}]}),
                "observables[0].tags",
            ),
        ];
        for (change, field) in cases {
            let mut body = alert();
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let errors = thehive_alert(&body).unwrap_err();
            assert_eq!(errors.len(), 1, "{change}: {errors:?}");
            assert_eq!(errors[0].0, field, "{change}: {errors:?}");
        }
        let mut body = alert();
        body.as_object_mut().unwrap().remove("title");
        assert_eq!(
            thehive_alert(&body).unwrap_err()[0],
            ("title".into(), "is required".into())
        );
        assert!(thehive_alert(&json!([])).is_err());
    }

    #[test]
    fn only_an_object_with_string_source_and_reference_is_one() {
        assert!(is_thehive(&alert()));
        assert!(!is_thehive(
            &json!({"source": {"kind": "sensor"}, "sourceRef": "r"})
        ));
        assert!(!is_thehive(&json!({"source": "s"})));
    }
}
