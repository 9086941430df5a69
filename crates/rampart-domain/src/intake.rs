//! Machine intake rules: which stored events an alert is related to
//! (correlation keys), and the ordered categorization rules that propose a
//! 27035 category and an RSIT class/type for the point of contact to confirm.

use serde::{Deserialize, Serialize};

use crate::error::Problems;
use crate::event::Correlation;
use crate::{
    Category, DomainError, Event, EventReport, EventStatus, Observable, ObservableType, Proposal,
    Rsit, Text,
};

/// Most rules in one table.
pub const MAX_RULES: usize = 500;
/// Most related records kept on one event.
pub const MAX_RELATED: usize = 50;

/// The key under which an observable or asset is indexed for correlation:
/// `ip:203.0.113.9`, `asset:mail gateway`. Values are already normalised;
/// assets compare without regard to ASCII case. The database computes the
/// same keys when an event is stored (a trigger on `events`).
pub fn correlation_keys(event: &Event) -> Vec<String> {
    keys(&event.observables, &event.assets)
}

/// The correlation keys the event of this report will have.
pub fn report_correlation_keys(report: &EventReport) -> Vec<String> {
    keys(&report.observables, &report.assets)
}

fn keys(observables: &[Observable], assets: &[Text]) -> Vec<String> {
    let mut keys: Vec<String> = observables
        .iter()
        .map(|o| format!("{}:{}", o.kind, o.value))
        .chain(
            assets
                .iter()
                .map(|a| format!("asset:{}", a.as_str().to_ascii_lowercase())),
        )
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A stored event that shares a correlation key with a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationHit {
    /// The key they share.
    pub key: String,
    /// The stored event's number, status and incident (with that incident's status).
    pub event: String,
    pub status: EventStatus,
    pub incident: Option<(String, crate::IncidentStatus)>,
}

/// Groups hits into related records: an open event by its own number, an
/// event linked to an open incident by the incident's. Closed work is not
/// related. At most [`MAX_RELATED`] records, most shared keys first.
pub fn correlate(hits: &[CorrelationHit]) -> Vec<Correlation> {
    let mut related: Vec<Correlation> = Vec::new();
    for hit in hits {
        let target = match &hit.incident {
            Some((number, status)) if status.is_open() => number.clone(),
            Some(_) => continue,
            None if matches!(
                hit.status,
                EventStatus::Reported | EventStatus::Triage | EventStatus::Escalated
            ) =>
            {
                hit.event.clone()
            }
            None => continue,
        };
        match related.iter_mut().find(|c| c.number == target) {
            Some(c) => {
                if !c.shared.contains(&hit.key) {
                    c.shared.push(hit.key.clone());
                }
            }
            None => related.push(Correlation {
                number: target,
                shared: vec![hit.key.clone()],
            }),
        }
    }
    for c in &mut related {
        c.shared.sort();
    }
    // Incidents first, then by how much is shared, then by number.
    related.sort_by(|a, b| {
        let inc = |c: &Correlation| !c.number.starts_with("INC-");
        (inc(a), std::cmp::Reverse(a.shared.len()), &a.number).cmp(&(
            inc(b),
            std::cmp::Reverse(b.shared.len()),
            &b.number,
        ))
    });
    related.truncate(MAX_RELATED);
    related
}

/// One categorization rule. Every condition given must hold; a rule with no
/// condition matches everything (a catch-all at the end of the table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CategorizationRule {
    /// Shown with the proposal, e.g. `ssh brute force from the IDS`.
    pub name: Text,
    /// The sensor's name, compared without regard to case.
    #[serde(default)]
    pub source: Option<String>,
    /// Fields that must have these values (case-insensitive): `severity`,
    /// `title`, or any vendor attribute by its name.
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, String>,
    /// Kinds of observable the event must all carry.
    #[serde(default)]
    pub observable_types: Vec<ObservableType>,
    /// Words the title or description must contain (case-insensitive).
    #[serde(default)]
    pub text: Option<String>,
    /// The category to propose; absent, the RSIT type's category.
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub rsit: Option<Rsit>,
}

impl CategorizationRule {
    fn matches(&self, event: &Event) -> bool {
        let eq = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        if let Some(source) = &self.source
            && !event
                .source
                .name
                .as_ref()
                .is_some_and(|n| eq(n.as_str(), source))
        {
            return false;
        }
        for (field, want) in &self.fields {
            let have = match field.as_str() {
                "severity" => event.severity.map(|s| s.as_str().to_owned()),
                "title" => Some(event.title.as_str().to_owned()),
                "source.ref" => event.source.reference.as_ref().map(|r| r.to_string()),
                other => event.attributes.get(other).cloned(),
            };
            if !have.is_some_and(|h| eq(&h, want)) {
                return false;
            }
        }
        if !self
            .observable_types
            .iter()
            .all(|t| event.observables.iter().any(|o| o.kind == *t))
        {
            return false;
        }
        if let Some(text) = &self.text {
            let needle = text.trim().to_lowercase();
            let hay = format!("{}\n{}", event.title, event.description).to_lowercase();
            if !hay.contains(&needle) {
                return false;
            }
        }
        true
    }

    fn category(&self) -> Option<Category> {
        self.category
            .or_else(|| self.rsit.as_ref().map(Rsit::category))
    }
}

/// The ordered table of categorization rules; the first rule that matches proposes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Rises by one with every change.
    #[serde(default)]
    pub version: u32,
    pub rules: Vec<CategorizationRule>,
}

impl RuleSet {
    /// Checks a table before it replaces the current one.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut p = Problems::default();
        if self.rules.len() > MAX_RULES {
            p.push("rules", format!("must have at most {MAX_RULES} rules"));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.category().is_none() {
                p.push(
                    format!("rules[{i}].category"),
                    "is required unless rsit is given",
                );
            }
            if let (Some(c), Some(r)) = (rule.category, &rule.rsit)
                && c != r.category()
                && c == Category::OTHER
            {
                p.push(
                    format!("rules[{i}].category"),
                    format!(
                        "`other` contradicts RSIT {}/{}; leave it out to use {}",
                        r.class,
                        r.kind,
                        r.category()
                    ),
                );
            }
            if rule.text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                p.push(format!("rules[{i}].text"), "must not be blank");
            }
            if rule.source.as_deref().is_some_and(|t| t.trim().is_empty()) {
                p.push(format!("rules[{i}].source"), "must not be blank");
            }
            if self.rules[..i].iter().any(|r| r.name == rule.name) {
                p.push(format!("rules[{i}].name"), "is used by an earlier rule");
            }
        }
        p.into_result()
    }

    /// The proposal of the first rule that matches the event.
    pub fn propose(&self, event: &Event) -> Option<Proposal> {
        self.rules.iter().find(|r| r.matches(event)).and_then(|r| {
            Some(Proposal {
                rule: r.name.to_string(),
                category: r.category()?,
                rsit: r.rsit.clone(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, EventNumber, IncidentStatus, Role, Timestamp};

    fn event(json: serde_json::Value) -> Event {
        let report: EventReport = serde_json::from_value(json).unwrap();
        Event::report(
            EventNumber::new(2026, 1).unwrap(),
            report,
            &Actor::new("ids", vec![Role::Reporter]),
            Timestamp::parse("2026-11-22T12:00:00Z").unwrap(),
        )
    }

    fn rules(json: serde_json::Value) -> RuleSet {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_first_matching_rule_proposes() {
        let set = rules(serde_json::json!({"rules": [
            {"name": "ssh", "source": "suricata", "text": "SSH brute",
             "rsit": {"class": "intrusion-attempts", "type": "brute-force"}},
            {"name": "phish", "observable_types": ["url", "email"], "category": "compromise_of_information",
             "rsit": {"class": "fraud", "type": "phishing"}},
            {"name": "critical", "fields": {"severity": "critical"}, "category": "technical_attack"},
            {"name": "rest", "category": "other"}
        ]}));
        set.validate().unwrap();
        let ssh = event(
            serde_json::json!({"title": "ET SCAN ssh BRUTE force", "description": "x",
            "source": {"kind": "sensor", "name": "Suricata"}}),
        );
        let p = set.propose(&ssh).unwrap();
        assert_eq!(
            (p.rule.as_str(), p.category),
            ("ssh", Category::TECHNICAL_ATTACK)
        );
        assert_eq!(p.rsit.unwrap().kind, "brute-force");

        let phish = event(serde_json::json!({"title": "mail", "description": "x",
            "observables": [{"type": "url", "value": "http://a.example/x"}, {"type": "email", "value": "a@b.example"}]}));
        assert_eq!(set.propose(&phish).unwrap().rule, "phish");
        let only_url = event(serde_json::json!({"title": "mail", "description": "x",
            "observables": [{"type": "url", "value": "http://a.example/x"}]}));
        assert_eq!(set.propose(&only_url).unwrap().rule, "rest");

        let crit =
            event(serde_json::json!({"title": "t", "description": "x", "severity": "critical"}));
        assert_eq!(set.propose(&crit).unwrap().rule, "critical");
        assert_eq!(RuleSet::default().propose(&crit), None);
    }

    #[test]
    fn attribute_conditions_compare_without_case() {
        let set = rules(serde_json::json!({"rules": [
            {"name": "fw deny", "fields": {"act": "DENY", "cat": "firewall"}, "category": "technical_attack"}
        ]}));
        let mut e = event(serde_json::json!({"title": "t", "description": "x",
            "attributes": {"act": "deny", "cat": "Firewall"}}));
        assert!(set.propose(&e).is_some());
        e.attributes.remove("cat");
        assert!(set.propose(&e).is_none());
    }

    #[test]
    fn bad_tables_name_the_rule_and_field() {
        let set = rules(serde_json::json!({"rules": [
            {"name": "a", "category": "malware"},
            {"name": "a", "text": " "}
        ]}));
        let DomainError::Invalid(errors) = set.validate().unwrap_err() else {
            panic!("not invalid")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["rules[1].category", "rules[1].text", "rules[1].name"]
        );
        assert!(
            serde_json::from_value::<RuleSet>(serde_json::json!({"rules": [
                {"name": "x", "rsit": {"class": "fraud", "type": "brute-force"}}
            ]}))
            .is_err()
        );
    }

    fn hit(
        key: &str,
        event: &str,
        status: EventStatus,
        inc: Option<(&str, IncidentStatus)>,
    ) -> CorrelationHit {
        CorrelationHit {
            key: key.into(),
            event: event.into(),
            status,
            incident: inc.map(|(n, s)| (n.to_owned(), s)),
        }
    }

    #[test]
    fn only_open_work_is_related() {
        let hits = [
            hit(
                "ip:10.0.0.1",
                "EVT-2026-000001",
                EventStatus::Reported,
                None,
            ),
            hit("host:web1", "EVT-2026-000001", EventStatus::Reported, None),
            hit(
                "ip:10.0.0.1",
                "EVT-2026-000002",
                EventStatus::FalseAlarm,
                None,
            ),
            hit(
                "ip:10.0.0.1",
                "EVT-2026-000003",
                EventStatus::Linked,
                Some(("INC-2026-0001", IncidentStatus::Responding)),
            ),
            hit(
                "ip:10.0.0.1",
                "EVT-2026-000004",
                EventStatus::Linked,
                Some(("INC-2026-0002", IncidentStatus::Closed)),
            ),
            hit(
                "host:web1",
                "EVT-2026-000005",
                EventStatus::Linked,
                Some(("INC-2026-0001", IncidentStatus::Responding)),
            ),
        ];
        let related = correlate(&hits);
        assert_eq!(
            related,
            [
                Correlation {
                    number: "INC-2026-0001".into(),
                    shared: vec!["host:web1".into(), "ip:10.0.0.1".into()]
                },
                Correlation {
                    number: "EVT-2026-000001".into(),
                    shared: vec!["host:web1".into(), "ip:10.0.0.1".into()]
                },
            ]
        );
    }

    #[test]
    fn keys_cover_observables_and_assets() {
        let e = event(serde_json::json!({"title": "t", "description": "x",
            "assets": ["Mail Gateway"], "observables": [{"type": "ip", "value": "10.0.0.1"}]}));
        assert_eq!(correlation_keys(&e), ["asset:mail gateway", "ip:10.0.0.1"]);
    }
}
