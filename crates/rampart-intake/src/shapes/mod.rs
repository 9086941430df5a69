//! Decoded alerts mapped to [`EventReport`]s.
//!
//! Every mapping yields a sensor report: the source kind is `sensor`, the
//! source name says which product sent it, and the source reference is the
//! product's own identifier for the alert when it has one. Titles and
//! descriptions are never empty and are cut to what [`Text`] accepts.
//! Observables go through [`Observable::new`]; a value that is not valid
//! for its kind is left out, never fatal. Vendor fields that have no place
//! of their own are kept as text in `attributes`, within the domain's
//! limits (names without spaces, at most 64 characters; values at most
//! 2048 characters without control characters; at most
//! [`MAX_ATTRIBUTES`] entries, the first ones kept).
//!
//! Times without a zone are read as UTC; times that cannot be read are left
//! out. Nothing here checks times against the clock: that is
//! [`EventReport::validate`]'s job at the edge that has one.

mod ecs;
mod json;
mod misp;
mod ocsf;
mod stix;
mod syslog;
pub mod thehive;

use std::net::IpAddr;

use rampart_domain::{
    EventReport, MAX_ATTRIBUTES, Observable, ObservableType, Source, SourceKind, Text, Timestamp,
};
use serde_json::Value;
use time::OffsetDateTime;

pub use ecs::ecs;
pub use misp::misp;
pub use ocsf::ocsf;
pub use stix::stix;
pub use syslog::{from_cef, from_syslog};
pub use thehive::thehive;

/// Problems with a JSON alert, each as (field path, message).
pub type FieldErrors = Vec<(String, String)>;

/// Longest attribute name, in characters.
const MAX_ATTRIBUTE_KEY: usize = 64;
/// Longest attribute value, in characters; longer values are cut.
const MAX_ATTRIBUTE_VALUE: usize = 2048;
/// Most observables taken from one alert.
const MAX_OBSERVABLES: usize = 1_000;
/// Most assets taken from one alert.
const MAX_ASSETS: usize = 100;

/// The JSON shapes an alert may arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Rampart's own event report.
    Rampart,
    /// An OCSF finding.
    Ocsf,
    /// An Elastic Common Schema alert.
    Ecs,
    /// A MISP event (`{"Event": {...}}`).
    Misp,
    /// A STIX 2.1 bundle.
    Stix,
    /// A TheHive alert (`source` and `sourceRef` strings).
    TheHive,
}

/// OCSF when the document has a `class_uid`, ECS when it has an
/// `event.kind` (nested or dotted), MISP when it is `{"Event": {...}}`,
/// STIX when its `type` is `bundle`, TheHive when its `source` and
/// `sourceRef` are strings, else Rampart's own shape.
pub fn detect(value: &Value) -> Shape {
    if value.get("Event").is_some_and(Value::is_object) {
        Shape::Misp
    } else if value.get("type").and_then(Value::as_str) == Some("bundle") {
        Shape::Stix
    } else if value.get("class_uid").is_some() {
        Shape::Ocsf
    } else if json::lookup(value, "event.kind").is_some() {
        Shape::Ecs
    } else if thehive::is_thehive(value) {
        Shape::TheHive
    } else {
        Shape::Rampart
    }
}

/// The parts of a report gathered while reading an alert.
#[derive(Debug, Default)]
struct Draft {
    severity: Option<rampart_domain::AlertSeverity>,
    occurred_at: Option<Timestamp>,
    ended_at: Option<Timestamp>,
    observables: Vec<Observable>,
    assets: Vec<Text>,
    attributes: std::collections::BTreeMap<String, String>,
}

impl Draft {
    /// Adds an observable if the value is valid for its kind.
    fn observe(&mut self, kind: ObservableType, raw: &str) {
        if self.observables.len() >= MAX_OBSERVABLES {
            return;
        }
        if let Ok(o) = Observable::new(kind, raw)
            && !self.observables.contains(&o)
        {
            self.observables.push(o);
        }
    }

    /// Adds an IP address, or a host name when it is not one.
    fn observe_host(&mut self, raw: &str) {
        if raw.trim().parse::<IpAddr>().is_ok() {
            self.observe(ObservableType::Ip, raw);
        } else {
            self.observe(ObservableType::Host, raw);
        }
    }

    /// Adds an account, or an e-mail address when it is one.
    fn observe_user(&mut self, raw: &str) {
        if raw.contains('@') && Observable::new(ObservableType::Email, raw).is_ok() {
            self.observe(ObservableType::Email, raw);
        } else {
            self.observe(ObservableType::Account, raw);
        }
    }

    /// Adds the IP addresses written in free text.
    fn observe_ips_in(&mut self, text: &str) {
        let tokens = text
            .split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':'))
            .map(|t| t.trim_end_matches('.'))
            .filter(|t| t.len() >= 3 && (t.contains('.') || t.contains(':')));
        for token in tokens.filter(|t| t.parse::<IpAddr>().is_ok()).take(20) {
            self.observe(ObservableType::Ip, token);
        }
    }

    fn asset(&mut self, raw: &str) {
        if self.assets.len() < MAX_ASSETS
            && let Some(t) = line(raw)
            && !self
                .assets
                .iter()
                .any(|a| a.as_str().eq_ignore_ascii_case(t.as_str()))
        {
            self.assets.push(t);
        }
    }

    /// Keeps a vendor field: blanks in the name become `_`, control
    /// characters in the value become spaces, a long value is cut, and the
    /// first value given under a name wins.
    fn attribute(&mut self, name: &str, value: &str) {
        if self.attributes.len() >= MAX_ATTRIBUTES {
            return;
        }
        let name: String = name
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .map(|c| if c.is_whitespace() { '_' } else { c })
            .collect();
        if name.is_empty()
            || name.chars().count() > MAX_ATTRIBUTE_KEY
            || self.attributes.contains_key(&name)
        {
            return;
        }
        let value: String = value
            .chars()
            .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
            .take(MAX_ATTRIBUTE_VALUE)
            .collect();
        self.attributes.insert(name, value);
    }

    fn into_report(self, title: Text, description: Text, source: Source) -> EventReport {
        let mut report = EventReport::alert(title, description, source);
        report.severity = self.severity;
        report.occurred_at = self.occurred_at;
        // An end before the start is the sensor's mistake; keep the start.
        report.ended_at = self
            .ended_at
            .filter(|end| self.occurred_at.is_none_or(|start| *end >= start));
        report.observables = self.observables;
        report.assets = self.assets;
        report.attributes = self.attributes;
        report
    }
}

/// A sensor source; the name is required, the reference optional.
fn sensor(name: &str, reference: Option<&str>) -> Source {
    Source {
        kind: SourceKind::Sensor,
        name: Some(line(name).unwrap_or_else(|| Text::lossy("sensor"))),
        reference: reference.and_then(line),
    }
}

/// Text with content, control characters dropped, cut to [`Text`]'s limit.
fn text(raw: &str) -> Option<Text> {
    let has_content = raw.chars().any(|c| !c.is_control() && !c.is_whitespace());
    has_content.then(|| Text::lossy(raw))
}

/// Like [`text`], on one line.
fn line(raw: &str) -> Option<Text> {
    text(&raw.replace(['\n', '\r', '\t'], " "))
}

/// One line cut to `max` characters.
fn headline(raw: &str, max: usize) -> Option<Text> {
    let one_line = raw.replace(['\n', '\r', '\t'], " ");
    let trimmed = one_line.trim();
    text(&trimmed.chars().take(max).collect::<String>())
}

/// Milliseconds since the Unix epoch.
fn from_epoch_millis(ms: i64) -> Option<Timestamp> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .map(Timestamp::from_offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn shapes_are_told_apart() {
        assert_eq!(detect(&json!({"class_uid": 2004})), Shape::Ocsf);
        assert_eq!(detect(&json!({"event": {"kind": "alert"}})), Shape::Ecs);
        assert_eq!(detect(&json!({"event.kind": "alert"})), Shape::Ecs);
        assert_eq!(
            detect(&json!({"title": "t", "description": "d"})),
            Shape::Rampart
        );
        assert_eq!(detect(&json!([1, 2])), Shape::Rampart);
        assert_eq!(
            detect(&json!({"type": "siem", "source": "s", "sourceRef": "r"})),
            Shape::TheHive
        );
    }

    #[test]
    fn attributes_stay_within_the_domain_limits() {
        let mut d = Draft::default();
        d.attribute("Rule Name", "a\nb");
        d.attribute(&"k".repeat(65), "x");
        d.attribute("long", &"v".repeat(3000));
        d.attribute("Rule Name", "second");
        assert_eq!(d.attributes["Rule_Name"], "a b");
        assert_eq!(d.attributes["long"].len(), MAX_ATTRIBUTE_VALUE);
        assert_eq!(d.attributes.len(), 2);
        for i in 0..200 {
            d.attribute(&format!("k{i}"), "v");
        }
        assert_eq!(d.attributes.len(), MAX_ATTRIBUTES);
        let report = d.into_report(Text::lossy("t"), Text::lossy("d"), sensor("s", None));
        report.validate(Timestamp::from_unix(0).unwrap()).unwrap();
    }

    #[test]
    fn ips_are_found_in_text() {
        let mut d = Draft::default();
        d.observe_ips_in(
            "Failed password for root from 203.0.113.9 port 22, then from 2001:db8::7. at 10:30:00, mac aa:bb:cc:dd:ee:ff, v1.2",
        );
        let values: Vec<&str> = d.observables.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["203.0.113.9", "2001:db8::7"]);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let key = prop::sample::select(vec![
            "class_uid",
            "finding_info",
            "finding",
            "title",
            "uid",
            "desc",
            "time",
            "severity_id",
            "metadata",
            "product",
            "name",
            "vendor_name",
            "observables",
            "type_id",
            "value",
            "evidences",
            "resources",
            "device",
            "hostname",
            "ip",
            "event",
            "kind",
            "event.kind",
            "rule",
            "rule.name",
            "@timestamp",
            "host",
            "host.ip",
            "user",
            "url",
            "full",
            "file",
            "hash",
            "sha256",
            "dns",
            "question",
            "email",
            "from",
            "address",
            "kibana.alert.severity",
            "event.severity",
            "message",
            "first_seen_time",
            "actor",
            "src_endpoint",
            "process",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop::sample::select(vec![2004i64, 2001, 1, 2, 5, 6, 8, 99]).prop_map(Value::from),
            "\\PC{0,30}".prop_map(Value::from),
            prop::sample::select(vec![
                "alert",
                "10.0.0.1",
                "evil.example",
                "https://x.example/a",
                "2026-11-30T08:00:00Z"
            ])
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..8).prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    /// The report passes the domain's checks (the clock aside).
    fn assert_valid(report: &EventReport) -> Result<(), TestCaseError> {
        let far_future = Timestamp::parse("9999-01-01T00:00:00Z").unwrap();
        let checked = report.validate(far_future);
        prop_assert!(checked.is_ok(), "{checked:?}");
        Ok(())
    }

    proptest! {
        #[test]
        fn arbitrary_json_never_panics(v in json_value()) {
            let _ = detect(&v);
            for report in [ocsf(&v), ecs(&v)].into_iter().flatten() {
                assert_valid(&report)?;
            }
        }

        /// Valid skeletons with arbitrary values where the mappings look.
        #[test]
        fn mapped_reports_are_valid(
            parts in proptest::collection::vec(json_value(), 8),
            title in "\\PC{0,40}",
        ) {
            let mut ocsf_doc = serde_json::json!({
                "class_uid": 2004,
                "finding_info": {"title": title.clone(), "desc": parts[0], "types": parts[1]},
                "metadata": {"product": parts[2]},
                "device": parts[3],
                "evidences": parts[4],
                "observables": parts[5],
                "resources": parts[6],
                "actor": parts[7],
            });
            if let Ok(report) = ocsf(&ocsf_doc) {
                assert_valid(&report)?;
            }
            ocsf_doc["evidences"] = Value::Array(parts.clone());
            ocsf_doc["observables"] = Value::Array(parts.clone());
            if let Ok(report) = ocsf(&ocsf_doc) {
                assert_valid(&report)?;
            }
            let ecs_doc = serde_json::json!({
                "event": {"kind": "alert", "id": parts[0], "category": parts[1]},
                "rule.name": title,
                "message": parts[2],
                "host": parts[3],
                "source": parts[4],
                "user": parts[5],
                "url": parts[6],
                "tags": parts[7],
            });
            if let Ok(report) = ecs(&ecs_doc) {
                assert_valid(&report)?;
            }
        }
    }
}
