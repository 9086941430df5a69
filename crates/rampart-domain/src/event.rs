//! Information security events: reports from people and machines, and the
//! point of contact's first assessment.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::classification::wire_enum;
use crate::error::Problems;
use crate::{
    Action, Actor, Category, DomainError, EventNumber, EventStatus, IncidentNumber, Lifecycle, Pap,
    Rsit, Text, Timestamp, Tlp,
};

/// Clock skew tolerated on times the reporter gives, in seconds.
pub const FUTURE_SKEW_SECONDS: i64 = 300;
/// Most assets, vulnerabilities or observables on one report.
pub const MAX_LIST: usize = 1_000;
/// Most vendor attributes on one report.
pub const MAX_ATTRIBUTES: usize = 100;
/// Longest attribute name, in characters.
const MAX_ATTRIBUTE_KEY: usize = 64;
/// Longest attribute value, in characters.
const MAX_ATTRIBUTE_VALUE: usize = 2048;

wire_enum!(
    /// The severity a sensor gave its alert, on one scale for every source.
    AlertSeverity {
        Info => "info",
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
);

/// The person who reported, as they gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reporter {
    pub name: Text,
    #[serde(default)]
    pub contact: Option<Text>,
}

wire_enum!(
    /// Who detected the event.
    SourceKind {
        Person => "person",
        Sensor => "sensor",
    }
);

wire_enum!(
    /// How a person's report reached the point of contact who filed it for
    /// them (absent when they filed it themselves).
    ReportChannel {
        Phone => "phone",
        Email => "email",
        InPerson => "in_person",
        Letter => "letter",
        Chat => "chat",
        Other => "other",
    }
);

wire_enum!(
    /// Through which channel an event came: an employee (signed in, the form
    /// or the API), the public form (`/public/report`), or a sensor.
    ReporterKind {
        Employee => "employee",
        Public => "public",
        Sensor => "sensor",
    }
);

/// The built-in account the public form reports as.
pub const PUBLIC_ACCOUNT: &str = "public";

/// A person or a named sensor (IDS, SIEM, EDR...), with the sensor's own reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub kind: SourceKind,
    #[serde(default)]
    pub name: Option<Text>,
    #[serde(default, rename = "ref")]
    pub reference: Option<Text>,
}

wire_enum!(
    /// Kinds of observable.
    ObservableType {
        Ip => "ip",
        Domain => "domain",
        Url => "url",
        Hash => "hash",
        Account => "account",
        Host => "host",
        Email => "email",
    }
);

/// A technical indicator, normalised so equal things compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "RawObservable")]
pub struct Observable {
    #[serde(rename = "type")]
    pub kind: ObservableType,
    /// Checked and normalised by type: an IP address, a domain, a URL, a
    /// hash (hex), an account, a host name or an e-mail address; at most 2048
    /// bytes once trimmed.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObservable {
    #[serde(rename = "type")]
    kind: ObservableType,
    value: String,
}

impl TryFrom<RawObservable> for Observable {
    type Error = String;
    fn try_from(raw: RawObservable) -> Result<Self, String> {
        Self::new(raw.kind, &raw.value)
    }
}

impl Observable {
    /// Validates and normalises a value of the given kind.
    pub fn new(kind: ObservableType, raw: &str) -> Result<Self, String> {
        let v = raw.trim();
        let bad = |what: &str| {
            Err(format!(
                "value `{}` is not {what}",
                v.chars().take(80).collect::<String>()
            ))
        };
        if v.is_empty() || v.len() > 2048 || v.chars().any(char::is_control) {
            return bad("a non-empty value of at most 2048 characters without control characters");
        }
        let value = match kind {
            ObservableType::Ip => match v.parse::<IpAddr>() {
                Ok(ip) => ip.to_string(),
                Err(_) => return bad("an IPv4 or IPv6 address"),
            },
            ObservableType::Domain | ObservableType::Host => {
                let d = v.trim_end_matches('.').to_ascii_lowercase();
                let label_ok = |l: &str| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                };
                if d.len() > 253
                    || !d.split('.').all(label_ok)
                    || (kind == ObservableType::Domain && !d.contains('.'))
                {
                    return bad(if kind == ObservableType::Domain {
                        "a domain name"
                    } else {
                        "a host name"
                    });
                }
                d
            }
            ObservableType::Url => {
                let Some((scheme, rest)) = v.split_once("://") else {
                    return bad("a URL with a scheme");
                };
                if scheme.is_empty()
                    || !scheme
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
                    || rest.is_empty()
                    || v.contains(char::is_whitespace)
                {
                    return bad("a URL with a scheme");
                }
                format!("{}://{rest}", scheme.to_ascii_lowercase())
            }
            ObservableType::Hash => {
                let h = v.to_ascii_lowercase();
                if ![32, 40, 64, 128].contains(&h.len())
                    || !h.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    return bad("an MD5, SHA-1, SHA-256 or SHA-512 hex digest");
                }
                h
            }
            ObservableType::Email => match v.rsplit_once('@') {
                Some((local, domain))
                    if !local.is_empty()
                        && domain.contains('.')
                        && !v.contains(char::is_whitespace) =>
                {
                    format!("{local}@{}", domain.to_ascii_lowercase())
                }
                _ => return bad("an e-mail address"),
            },
            ObservableType::Account => v.to_owned(),
        };
        Ok(Self { kind, value })
    }
}

/// An event report as submitted (Annex D.1 in plain fields).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventReport {
    /// A short headline.
    pub title: Text,
    /// What occurred.
    pub description: Text,
    #[serde(default)]
    pub how: Option<Text>,
    #[serde(default)]
    pub why: Option<Text>,
    #[serde(default)]
    pub occurred_at: Option<Timestamp>,
    #[serde(default)]
    pub discovered_at: Option<Timestamp>,
    /// Components or assets affected.
    #[serde(default)]
    pub assets: Vec<Text>,
    /// Adverse business impact.
    #[serde(default)]
    pub impact: Option<Text>,
    /// Vulnerabilities noticed.
    #[serde(default)]
    pub vulnerabilities: Vec<Text>,
    /// Is the event over?
    #[serde(default)]
    pub is_over: Option<bool>,
    /// When it ended, if it is over.
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
    #[serde(default)]
    pub reporter: Option<Reporter>,
    /// Filed on the reporter's behalf: how their report came in (phone,
    /// e-mail, in person...). Needs `reporter`, the person who reported.
    #[serde(default)]
    pub channel: Option<ReportChannel>,
    /// Hide the reporter from everyone but the ISIRT manager and admins.
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub source: Option<Source>,
    #[serde(default)]
    pub observables: Vec<Observable>,
    #[serde(default)]
    pub tlp: Option<Tlp>,
    /// PAP marking: what may be done with what the report tells; AMBER when absent.
    #[serde(default)]
    pub pap: Option<Pap>,
    /// The sensor's severity, mapped onto Rampart's scale.
    #[serde(default)]
    pub severity: Option<AlertSeverity>,
    /// Vendor fields kept as text (CEF extensions, OCSF or ECS fields, syslog header parts).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

impl EventReport {
    /// A sensor's alert with only the required fields; the mappings of machine
    /// formats fill in the rest.
    pub fn alert(title: Text, description: Text, source: Source) -> Self {
        Self {
            title,
            description,
            how: None,
            why: None,
            occurred_at: None,
            discovered_at: None,
            assets: vec![],
            impact: None,
            vulnerabilities: vec![],
            is_over: None,
            ended_at: None,
            reporter: None,
            channel: None,
            anonymous: false,
            source: Some(source),
            observables: vec![],
            tlp: None,
            pap: None,
            severity: None,
            attributes: BTreeMap::new(),
        }
    }

    /// Checks what no single field can check alone.
    pub fn validate(&self, now: Timestamp) -> Result<(), DomainError> {
        let mut p = Problems::default();
        if self.anonymous && self.reporter.is_some() {
            p.push("reporter", "must be absent when anonymous is true");
        }
        if self.channel.is_some() && self.reporter.is_none() {
            p.push(
                "reporter.name",
                "is required when filing a report for someone: whose report is it?",
            );
        }
        if let Some(source) = &self.source {
            if source.kind == SourceKind::Sensor && source.name.is_none() {
                p.push("source.name", "is required for a sensor");
            }
            if source.kind == SourceKind::Sensor && self.anonymous {
                p.push("anonymous", "applies to people, not sensors");
            }
            if source.kind == SourceKind::Sensor && self.channel.is_some() {
                p.push("channel", "applies to reports from people, not sensors");
            }
        }
        let future =
            Timestamp::from_offset(now.as_offset() + time::Duration::seconds(FUTURE_SKEW_SECONDS));
        for (field, at) in [
            ("occurred_at", self.occurred_at),
            ("discovered_at", self.discovered_at),
            ("ended_at", self.ended_at),
        ] {
            if at.is_some_and(|t| t > future) {
                p.push(field, "must not be in the future");
            }
        }
        if let (Some(o), Some(d)) = (self.occurred_at, self.discovered_at)
            && o > d
        {
            p.push("occurred_at", "must not be after discovered_at");
        }
        if let (Some(o), Some(e)) = (self.occurred_at, self.ended_at)
            && e < o
        {
            p.push("ended_at", "must not be before occurred_at");
        }
        if self.ended_at.is_some() && self.is_over == Some(false) {
            p.push("ended_at", "must be absent while is_over is false");
        }
        for (field, len) in [
            ("assets", self.assets.len()),
            ("vulnerabilities", self.vulnerabilities.len()),
            ("observables", self.observables.len()),
        ] {
            if len > MAX_LIST {
                p.push(field, format!("must have at most {MAX_LIST} items"));
            }
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            p.push(
                "attributes",
                format!("must have at most {MAX_ATTRIBUTES} entries"),
            );
        }
        for (key, value) in &self.attributes {
            let key_ok = (1..=MAX_ATTRIBUTE_KEY).contains(&key.chars().count())
                && !key.chars().any(|c| c.is_control() || c.is_whitespace());
            if !key_ok {
                p.push(
                    "attributes",
                    format!(
                        "name `{}` must have 1 to {MAX_ATTRIBUTE_KEY} characters, without spaces or control characters",
                        key.chars().take(80).collect::<String>()
                    ),
                );
            } else if value.chars().count() > MAX_ATTRIBUTE_VALUE
                || value.chars().any(|c| c.is_control() && c != '\t')
            {
                p.push(
                    format!("attributes.{key}"),
                    format!(
                        "must have at most {MAX_ATTRIBUTE_VALUE} characters, without control characters"
                    ),
                );
            }
        }
        p.into_result()
    }
}

/// Who took an event into triage, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Triage {
    pub by: String,
    pub at: Timestamp,
}

wire_enum!(
    /// The point of contact's decision.
    AssessmentDecision {
        FalseAlarm => "false_alarm",
        HandledLocally => "handled_locally",
        PossibleIncident => "possible_incident",
    }
);

/// The point of contact's assessment as submitted.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    pub decision: AssessmentDecision,
    #[serde(default)]
    pub notes: Option<Text>,
    /// Flags a possible incident as significant: the ISIRT manager is told directly.
    #[serde(default)]
    pub escalate: bool,
    /// The 27035 category; absent, the proposal of the categorization rules is confirmed.
    #[serde(default)]
    pub category: Option<Category>,
    /// The RSIT class and type; absent, the proposal's is confirmed.
    #[serde(default)]
    pub rsit: Option<Rsit>,
}

/// The recorded assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    pub decision: AssessmentDecision,
    pub notes: Option<Text>,
    pub escalate: bool,
    /// The category the point of contact confirmed or chose.
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub rsit: Option<Rsit>,
    /// Whether the category is the rules' proposal, confirmed unchanged.
    #[serde(default)]
    pub proposal_confirmed: bool,
    pub by: String,
    pub at: Timestamp,
}

/// What the categorization rules proposed for an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proposal {
    /// The name of the rule that matched first.
    pub rule: String,
    pub category: Category,
    pub rsit: Option<Rsit>,
}

/// An open event or incident that shares observables or assets with this event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Correlation {
    /// `EVT-…` or `INC-…`.
    pub number: String,
    /// What they share, as `type:value` (e.g. `ip:203.0.113.9`, `asset:mail gateway`).
    pub shared: Vec<String>,
}

/// The ISIRT's finding that an escalated event is not an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rejection {
    pub reason: Text,
    pub by: String,
    pub at: Timestamp,
}

/// An information security event record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub number: EventNumber,
    pub status: EventStatus,
    pub title: Text,
    pub description: Text,
    pub how: Option<Text>,
    pub why: Option<Text>,
    pub occurred_at: Option<Timestamp>,
    pub discovered_at: Option<Timestamp>,
    pub reported_at: Timestamp,
    pub is_over: Option<bool>,
    pub ended_at: Option<Timestamp>,
    pub assets: Vec<Text>,
    pub impact: Option<Text>,
    pub vulnerabilities: Vec<Text>,
    /// Hidden when the report is anonymous and the reader may not see identities.
    pub reporter: Option<Reporter>,
    pub anonymous: bool,
    /// The account that submitted the report; hidden like `reporter`.
    pub submitted_by: Option<String>,
    /// How the report reached the point of contact who filed it for the
    /// reporter; absent when the reporter filed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ReportChannel>,
    pub source: Source,
    pub observables: Vec<Observable>,
    pub tlp: Tlp,
    /// PAP marking; absent on events reported before PAP was recorded (read as AMBER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pap: Option<Pap>,
    pub triage: Option<Triage>,
    pub assessment: Option<Assessment>,
    pub rejection: Option<Rejection>,
    pub incident: Option<IncidentNumber>,
    /// The sensor's severity.
    #[serde(default)]
    pub severity: Option<AlertSeverity>,
    /// Vendor fields as the sensor sent them.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// How many times the sensor sent this alert (same source name and reference).
    #[serde(default = "one")]
    pub occurrences: u64,
    /// When the latest repeat arrived; absent until the first repeat.
    #[serde(default)]
    pub last_seen: Option<Timestamp>,
    /// Open events and incidents sharing observables or assets, found on arrival.
    #[serde(default)]
    pub related: Vec<Correlation>,
    /// The categorization rules' proposal, for the point of contact to confirm or change.
    #[serde(default)]
    pub proposal: Option<Proposal>,
    /// The exercise whose inject this event is; none for a real event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<crate::ExerciseId>,
}

fn one() -> u64 {
    1
}

impl Event {
    /// The PAP marking in force: the one recorded, AMBER where none was.
    pub fn pap(&self) -> Pap {
        self.pap.unwrap_or_default()
    }

    /// A new event from a validated report.
    pub fn report(number: EventNumber, report: EventReport, by: &Actor, now: Timestamp) -> Self {
        let source = report.source.unwrap_or(Source {
            kind: SourceKind::Person,
            name: None,
            reference: None,
        });
        let reporter = match (&report.reporter, report.anonymous, source.kind) {
            (Some(r), _, _) => Some(r.clone()),
            (None, false, SourceKind::Person) => Text::new(&by.name).ok().map(|name| Reporter {
                name,
                contact: None,
            }),
            _ => None,
        };
        Self {
            number,
            status: EventStatus::Reported,
            title: report.title,
            description: report.description,
            how: report.how,
            why: report.why,
            occurred_at: report.occurred_at,
            discovered_at: report.discovered_at,
            reported_at: now,
            is_over: report.is_over.or(report.ended_at.map(|_| true)),
            ended_at: report.ended_at,
            assets: report.assets,
            impact: report.impact,
            vulnerabilities: report.vulnerabilities,
            reporter,
            anonymous: report.anonymous,
            submitted_by: Some(by.name.clone()),
            channel: report.channel,
            source,
            observables: dedup(report.observables),
            tlp: report.tlp.unwrap_or_default(),
            pap: Some(report.pap.unwrap_or_default()),
            triage: None,
            assessment: None,
            rejection: None,
            incident: None,
            severity: report.severity,
            attributes: report.attributes,
            occurrences: 1,
            last_seen: None,
            related: vec![],
            proposal: None,
            exercise: None,
        }
    }

    /// The sensor sent the same alert again.
    pub fn repeated(&mut self, now: Timestamp) {
        self.occurrences = self.occurrences.saturating_add(1);
        self.last_seen = Some(now);
    }

    /// Whether the event is still open (not yet assessed to an end or linked).
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            EventStatus::Reported | EventStatus::Triage | EventStatus::Escalated
        )
    }

    fn entity(&self) -> String {
        format!("event {}", self.number)
    }

    /// The point of contact takes the event into triage.
    pub fn begin_triage(&mut self, by: &Actor, now: Timestamp) -> Result<(), DomainError> {
        self.status.check(EventStatus::Triage, &self.entity())?;
        self.status = EventStatus::Triage;
        self.triage = Some(Triage {
            by: by.name.clone(),
            at: now,
        });
        Ok(())
    }

    /// The point of contact's decision. An event is assessed once.
    pub fn assess(
        &mut self,
        input: AssessmentInput,
        by: &Actor,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        if !matches!(self.status, EventStatus::Reported | EventStatus::Triage) {
            return Err(DomainError::field(
                "decision",
                format!(
                    "{} was already assessed; its status is {}",
                    self.number, self.status
                ),
            ));
        }
        if input.escalate && input.decision != AssessmentDecision::PossibleIncident {
            return Err(DomainError::field(
                "escalate",
                "applies only to a possible_incident decision",
            ));
        }
        let to = match input.decision {
            AssessmentDecision::FalseAlarm => EventStatus::FalseAlarm,
            AssessmentDecision::HandledLocally => EventStatus::HandledLocally,
            AssessmentDecision::PossibleIncident => EventStatus::Escalated,
        };
        self.status.check(to, &self.entity())?;
        self.status = to;
        if self.triage.is_none() {
            self.triage = Some(Triage {
                by: by.name.clone(),
                at: now,
            });
        }
        let proposed = self.proposal.as_ref();
        let proposal_confirmed = proposed.is_some_and(|p| {
            input.category.is_none_or(|c| c == p.category)
                && (input.rsit.is_none() || input.rsit == p.rsit)
        });
        self.assessment = Some(Assessment {
            decision: input.decision,
            notes: input.notes,
            escalate: input.escalate,
            // An RSIT type chosen alone brings its own category.
            category: input
                .category
                .or(input.rsit.as_ref().map(Rsit::category))
                .or(proposed.map(|p| p.category)),
            rsit: input.rsit.or_else(|| proposed.and_then(|p| p.rsit.clone())),
            proposal_confirmed,
            by: by.name.clone(),
            at: now,
        });
        Ok(())
    }

    /// The ISIRT finds that an escalated event is not an incident.
    pub fn reject(&mut self, reason: Text, by: &Actor, now: Timestamp) -> Result<(), DomainError> {
        self.status
            .check(EventStatus::NotIncident, &self.entity())?;
        self.status = EventStatus::NotIncident;
        self.rejection = Some(Rejection {
            reason,
            by: by.name.clone(),
            at: now,
        });
        Ok(())
    }

    /// The event becomes part of an incident.
    pub fn link(&mut self, incident: IncidentNumber) -> Result<(), DomainError> {
        self.status.check(EventStatus::Linked, &self.entity())?;
        self.status = EventStatus::Linked;
        self.incident = Some(incident);
        Ok(())
    }

    /// Through which channel the event came.
    pub fn reporter_kind(&self) -> ReporterKind {
        if self.source.kind == SourceKind::Sensor {
            ReporterKind::Sensor
        } else if self.submitted_by.as_deref() == Some(PUBLIC_ACCOUNT) {
            ReporterKind::Public
        } else {
            ReporterKind::Employee
        }
    }

    /// Whether the event came through the public form.
    pub fn is_public(&self) -> bool {
        self.reporter_kind() == ReporterKind::Public
    }

    /// Whether `actor` may read this event at all (reporters see their own only).
    pub fn readable_by(&self, actor: &Actor) -> bool {
        actor.may(Action::ViewEvents)
            || (actor.may(Action::ViewOwnEvents)
                && self.submitted_by.as_deref() == Some(actor.name.as_str()))
    }

    /// The event as `actor` may see it:
    /// - an anonymous reporter stays hidden from everyone without the right
    ///   to see identities;
    /// - someone who may read only their own reports (a reporter, a sensor)
    ///   sees what they reported and its status, not the handling: no triage,
    ///   assessment or rejection notes, no proposal, no correlations and no
    ///   incident it went to.
    pub fn visible_to(mut self, actor: &Actor) -> Self {
        if self.anonymous && !actor.may(Action::SeeReporterIdentity) {
            self.reporter = None;
            // The public form's account names nobody: the channel stays visible.
            if !self.is_public() {
                self.submitted_by = None;
            }
        }
        if !actor.may(Action::ViewEvents) {
            self.triage = None;
            self.assessment = None;
            self.rejection = None;
            self.proposal = None;
            self.related.clear();
            self.incident = None;
        }
        self
    }

    /// Words the text filter searches.
    pub fn search_text(&self) -> String {
        let number = self.number.to_string();
        let head = [
            number.as_str(),
            self.title.as_str(),
            self.description.as_str(),
        ];
        let source = [&self.source.name, &self.source.reference];
        crate::text::search_words(
            head.into_iter()
                .chain(self.assets.iter().map(Text::as_str))
                .chain(self.observables.iter().map(|o| o.value.as_str()))
                .chain(source.into_iter().flatten().map(Text::as_str)),
        )
    }
}

fn dedup(observables: Vec<Observable>) -> Vec<Observable> {
    let mut out: Vec<Observable> = Vec::with_capacity(observables.len());
    for o in observables {
        if !out.contains(&o) {
            out.push(o);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use proptest::prelude::*;

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-22T12:00:00Z").unwrap()
    }

    fn report(json: serde_json::Value) -> EventReport {
        serde_json::from_value(json).unwrap()
    }

    fn event() -> Event {
        let r = report(serde_json::json!({"title": "odd login", "description": "x"}));
        Event::report(
            EventNumber::new(2026, 1).unwrap(),
            r,
            &Actor::new("eve", vec![Role::Reporter]),
            now(),
        )
    }

    #[test]
    fn the_channel_of_a_report_is_known_and_public_stays_visible_when_anonymous() {
        let reported_by = |json: serde_json::Value, by: &str| {
            Event::report(
                EventNumber::new(2026, 2).unwrap(),
                report(json),
                &Actor::new(by, vec![Role::Reporter]),
                now(),
            )
        };
        let plain = serde_json::json!({"title": "t", "description": "d", "anonymous": true});
        assert_eq!(event().reporter_kind(), ReporterKind::Employee);
        let sensor = serde_json::json!({"title": "t", "description": "d",
            "source": {"kind": "sensor", "name": "ids"}});
        assert_eq!(
            reported_by(sensor, "ids").reporter_kind(),
            ReporterKind::Sensor
        );
        let poc = Actor::new("pat", vec![Role::Poc]);
        let public = reported_by(plain.clone(), PUBLIC_ACCOUNT).visible_to(&poc);
        assert!(public.is_public() && public.reporter.is_none());
        assert_eq!(public.submitted_by.as_deref(), Some(PUBLIC_ACCOUNT));
        // An employee's anonymous report still hides who sent it.
        let hidden = reported_by(plain, "eve").visible_to(&poc);
        assert_eq!(hidden.reporter_kind(), ReporterKind::Employee);
        assert!(hidden.submitted_by.is_none());
    }

    #[test]
    fn observables_are_normalised() {
        assert_eq!(
            Observable::new(ObservableType::Ip, "::FFFF:10.0.0.1")
                .unwrap()
                .value,
            "::ffff:10.0.0.1"
        );
        assert_eq!(
            Observable::new(ObservableType::Domain, "Evil.Example.")
                .unwrap()
                .value,
            "evil.example"
        );
        assert_eq!(
            Observable::new(ObservableType::Email, "Bob@Example.ORG")
                .unwrap()
                .value,
            "Bob@example.org"
        );
        assert!(Observable::new(ObservableType::Ip, "999.1.1.1").is_err());
        assert!(Observable::new(ObservableType::Hash, "abc").is_err());
        assert!(Observable::new(ObservableType::Url, "example.com/x").is_err());
    }

    #[test]
    fn cross_field_rules() {
        let r = report(
            serde_json::json!({"title": "t", "description": "d", "anonymous": true, "reporter": {"name": "x"},
            "occurred_at": "2026-11-22T11:00:00Z", "discovered_at": "2026-11-22T10:00:00Z"}),
        );
        let DomainError::Invalid(errors) = r.validate(now()).unwrap_err() else {
            panic!()
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["reporter", "occurred_at"]);
    }

    #[test]
    fn assessed_once() {
        let mut e = event();
        let poc = Actor::new("pat", vec![Role::Poc]);
        let input = || AssessmentInput {
            decision: AssessmentDecision::FalseAlarm,
            notes: None,
            escalate: false,
            category: None,
            rsit: None,
        };
        e.assess(input(), &poc, now()).unwrap();
        assert_eq!(e.status, EventStatus::FalseAlarm);
        let err = e.assess(input(), &poc, now()).unwrap_err();
        assert!(
            matches!(err, DomainError::Invalid(ref f) if f[0].field == "decision"),
            "{err:?}"
        );
    }

    #[test]
    fn anonymous_reporters_are_hidden() {
        let r = report(serde_json::json!({"title": "t", "description": "d", "anonymous": true}));
        let e = Event::report(
            EventNumber::new(2026, 2).unwrap(),
            r,
            &Actor::new("eve", vec![Role::Reporter]),
            now(),
        );
        let member = e
            .clone()
            .visible_to(&Actor::new("m", vec![Role::IsirtMember]));
        assert_eq!((member.reporter, member.submitted_by), (None, None));
        let manager = e.visible_to(&Actor::new("boss", vec![Role::IsirtManager]));
        assert_eq!(manager.submitted_by.as_deref(), Some("eve"));
    }

    #[test]
    fn reporters_see_their_report_not_its_handling() {
        let r = report(serde_json::json!({"title": "t", "description": "d"}));
        let mut e = Event::report(
            EventNumber::new(2026, 3).unwrap(),
            r,
            &Actor::new("eve", vec![Role::Reporter]),
            now(),
        );
        e.triage = Some(Triage {
            by: "pat".into(),
            at: now(),
        });
        e.assessment = Some(Assessment {
            decision: AssessmentDecision::PossibleIncident,
            notes: Some(Text::new("possible insider data exfiltration").unwrap()),
            escalate: true,
            category: None,
            rsit: None,
            proposal_confirmed: false,
            by: "pat".into(),
            at: now(),
        });
        e.incident = Some("INC-2026-0001".parse().unwrap());
        let own = e
            .clone()
            .visible_to(&Actor::new("eve", vec![Role::Reporter]));
        assert_eq!(
            (own.triage, own.assessment, own.incident),
            (None, None, None)
        );
        assert_eq!((own.title, own.status), (e.title.clone(), e.status));
        let poc = e.visible_to(&Actor::new("pat", vec![Role::Poc]));
        assert!(poc.triage.is_some() && poc.assessment.is_some() && poc.incident.is_some());
    }

    proptest! {
        #[test]
        fn observable_parsing_never_panics(kind in proptest::sample::select(ObservableType::ALL), v in "\\PC{0,80}") {
            if let Ok(o) = Observable::new(kind, &v) {
                // Normalisation is idempotent.
                prop_assert_eq!(Observable::new(kind, &o.value).unwrap(), o);
            }
        }
    }
}
