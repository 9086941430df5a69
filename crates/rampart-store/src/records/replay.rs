//! The replay: a record's journal entries, folded in order, give the state
//! the record must have. Each action changes exactly what the command that
//! wrote it changed; the time and actor of an entry are the time and user a
//! record carries for the change (`updated_at`, `triage.by`, `hold.at`…).
//!
//! A field the journal does not determine is *unknown* and left out of the
//! comparison: the submitter of an anonymous report (the journal keeps no
//! identity for it), and the incident times a lifecycle move set before
//! `incident.transition` carried them. A later entry that sets such a field
//! makes it known again.

use std::collections::HashMap;
use std::fmt::Display;

use rampart_domain::JournalAction;
use rampart_domain::journal::ActionKind as K;
use rampart_domain::regulatory::{AnchorRecord, AppliedRegime, RegulatoryRules, Submission};
use rampart_domain::{
    Assessment, AssessmentDecision, Communication, Event, EventNumber, EventStatus, EvidenceCheck,
    EvidenceItem, Incident, IncidentNumber, IncidentObservable, IncidentStatus, LogEntry, LogKind,
    PATCH_FIELDS, Priority, ResponseAction, ResponseTargets, Review, RuleSet, Stamp, Text,
    Timestamp, Triage, Vulnerability,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::RecordKey;
use crate::{JournalEntry, User};

/// The state the journal gives a record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expected {
    /// No entry created it, or an entry removed it (at this sequence).
    Absent { removed: Option<u64> },
    Present {
        record: Box<ExpectedRecord>,
        /// Top-level fields the journal does not determine.
        unknown: Vec<&'static str>,
        /// The entry that created it.
        created: u64,
    },
}

/// A record as the journal describes it.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "the records check holds one expected record at a time"
)]
pub(crate) enum ExpectedRecord {
    Event(Event),
    Incident(Incident),
    Vulnerability(Vulnerability),
    Evidence(EvidenceItem),
    User(User),
    Credentials(ExpectedCredentials),
    Token(ExpectedToken),
    Rules(RuleSet),
    Targets(ResponseTargets),
    Scale(Box<rampart_domain::ClassificationScale>),
    Regulatory(Box<RegulatoryRules>),
    Document(Box<rampart_domain::Document>),
    DocumentText(Box<rampart_domain::DocumentText>),
    Team(Box<rampart_domain::Team>),
    Contact(Box<rampart_domain::Contact>),
    Playbook(Box<rampart_domain::Playbook>),
    Exercise(Box<rampart_domain::Exercise>),
    Improvement(Box<rampart_domain::ImprovementAction>),
}

/// What the journal says of a stored secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Secret {
    /// None is set.
    Absent,
    /// One is set; the entry that set it carries no digest (written before they did).
    Set,
    /// One is set, with this [`super::secret_digest`].
    Digest(String),
}

/// A user's credentials as the journal describes them. The last accepted
/// TOTP step, which moves with every second-factor sign-in, is not journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExpectedCredentials {
    pub user: String,
    pub password: Secret,
    pub totp: Secret,
    pub totp_required: bool,
}

/// An API token as the journal describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExpectedToken {
    pub id: String,
    pub user: String,
    pub created_at: Timestamp,
    pub created_by: String,
    /// The digest of the stored hash; without one (entries written before
    /// they carried it), the hash must begin with the digits of the token id.
    pub hash: Secret,
    /// Empty for entries made before token names.
    pub name: String,
    pub scopes: Option<Vec<rampart_domain::Scope>>,
    pub expires_at: Option<Timestamp>,
}

/// The records an entry changes.
pub(crate) fn targets(entry: &JournalEntry) -> Vec<RecordKey> {
    let entity = RecordKey::of_entity(&entry.entity);
    match K::from_name(&entry.action) {
        Some(
            K::UserPasswordSet
            | K::UserTotpRequired
            | K::UserTotpReset
            | K::AuthPasswordChanged
            | K::AuthTotpEnrolled,
        ) => match entity {
            Some(RecordKey::User(name)) => vec![RecordKey::Credentials(name)],
            other => other.into_iter().collect(),
        },
        Some(K::TokenCreated | K::TokenRevoked) => match token_id(entry) {
            Some(id) => vec![RecordKey::Token(id)],
            None => entity.into_iter().collect(),
        },
        // A drafted version's text is a record of its own.
        Some(K::DocumentDrafted) => match entity {
            Some(RecordKey::Document(id)) => {
                let version = super::documents::drafted_version(entry);
                std::iter::once(RecordKey::Document(id.clone()))
                    .chain(version.map(|v| RecordKey::DocumentText(id, v)))
                    .collect()
            }
            other => other.into_iter().collect(),
        },
        Some(K::IncidentEventLinked) => entity
            .into_iter()
            .chain(linked_event(entry).map(RecordKey::Event))
            .collect(),
        // The events that came with a merged incident now name this one.
        Some(K::IncidentMergedFrom) => entity
            .into_iter()
            .chain(merged_events(entry).into_iter().map(RecordKey::Event))
            .collect(),
        // Sign-ins touch sessions and throttles, which are not records; a
        // job is not one either, nor a check of the chain.
        Some(
            K::AuthLogin
            | K::AuthLoginFailed
            | K::AuthLocked
            | K::AuthLogout
            | K::TokenRefused
            | K::JobRequeued
            | K::JournalVerified,
        ) => {
            vec![]
        }
        // An action this version does not know: by its family.
        None if ["auth.", "job.", "journal."]
            .iter()
            .any(|family| entry.action.starts_with(family)) =>
        {
            vec![]
        }
        _ => entity.into_iter().collect(),
    }
}

fn token_id(entry: &JournalEntry) -> Option<String> {
    match JournalAction::parse_text(&entry.action, &entry.payload).ok()? {
        JournalAction::TokenCreated(t) => Some(t.token_id),
        JournalAction::TokenRevoked(t) => Some(t.token_id),
        _ => None,
    }
}

/// The event an `incident.event_linked` entry adds to its incident.
pub(crate) fn linked_event(entry: &JournalEntry) -> Option<EventNumber> {
    match JournalAction::parse_text(&entry.action, &entry.payload).ok()? {
        JournalAction::IncidentEventLinked(linked) => Some(linked.event),
        _ => None,
    }
}

/// The events an `incident.merged_from` entry brings to its incident.
pub(crate) fn merged_events(entry: &JournalEntry) -> Vec<EventNumber> {
    match JournalAction::parse_text(&entry.action, &entry.payload) {
        Ok(JournalAction::IncidentMergedFrom(merged)) => merged.events,
        _ => Vec::new(),
    }
}

/// Replays one record's entries, in sequence order. `Err` says which entry
/// cannot be replayed, and why.
pub(crate) fn replay(key: &RecordKey, entries: &[&JournalEntry]) -> Result<Expected, String> {
    match key {
        RecordKey::Event(_) => event(entries),
        RecordKey::Incident(n) => incident(&n.to_string(), entries),
        RecordKey::Vulnerability(_) => super::vulnerabilities::vulnerability(entries),
        RecordKey::Evidence(_) => evidence(entries),
        RecordKey::User(_) => user(entries),
        RecordKey::Credentials(name) => credentials(name, entries),
        RecordKey::Token(_) => token(entries),
        RecordKey::Rules => super::settings::rules(entries),
        RecordKey::Targets => super::settings::response_targets(entries),
        RecordKey::Scale => super::settings::scale(entries),
        RecordKey::Regulatory => super::settings::regulatory_rules(entries),
        RecordKey::Document(_) => super::documents::document(entries),
        RecordKey::DocumentText(_, version) => super::documents::text(*version, entries),
        RecordKey::Team(_) => super::documents::team(entries),
        RecordKey::Contact(_) => super::documents::contact(entries),
        RecordKey::Playbook(_) => super::documents::playbook(entries),
        RecordKey::Exercise(_) => super::documents::exercise(entries),
        RecordKey::Improvement(_) => super::documents::improvement(entries),
    }
}

/// One entry being replayed; errors name it.
pub(super) struct Step<'a>(pub(super) &'a JournalEntry);

impl<'a> Step<'a> {
    pub(super) fn fail(&self, what: impl Display) -> String {
        format!("sequence {} ({}): {what}", self.0.seq, self.0.action)
    }

    pub(super) fn at(&self) -> Result<Timestamp, String> {
        Timestamp::parse(&self.0.at).map_err(|m| self.fail(format!("time: {m}")))
    }

    pub(super) fn actor(&self) -> String {
        self.0.actor.clone()
    }

    /// The payload as a whole record.
    pub(super) fn whole<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_str(&self.0.payload).map_err(|e| self.fail(e))
    }

    pub(super) fn fields(&self) -> Result<Fields<'_, 'a>, String> {
        match serde_json::from_str(&self.0.payload) {
            Ok(Value::Object(map)) => Ok(Fields { step: self, map }),
            Ok(_) => Err(self.fail("the payload is not an object")),
            Err(e) => Err(self.fail(e)),
        }
    }
}

/// An entry's payload fields.
pub(super) struct Fields<'s, 'a> {
    step: &'s Step<'a>,
    map: Map<String, Value>,
}

impl Fields<'_, '_> {
    /// A field; absent reads as `null` (right for optional fields).
    pub(super) fn get<T: DeserializeOwned>(&self, name: &str) -> Result<T, String> {
        let value = self.map.get(name).cloned().unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| self.step.fail(format!("`{name}`: {e}")))
    }

    fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }
}

/// The state being built, its unknown fields and the entry that created it.
pub(super) struct Fold<T> {
    pub(super) record: Option<(T, u64)>,
    unknown: Vec<&'static str>,
}

impl<T> Fold<T> {
    pub(super) fn new() -> Self {
        Self {
            record: None,
            unknown: Vec::new(),
        }
    }

    pub(super) fn create(&mut self, step: &Step<'_>, record: T) -> Result<(), String> {
        if self.record.is_some() {
            return Err(step.fail("the record was created before"));
        }
        self.record = Some((record, step.0.seq));
        Ok(())
    }

    pub(super) fn current(&mut self, step: &Step<'_>) -> Result<&mut T, String> {
        match self.record.as_mut() {
            Some((record, _)) => Ok(record),
            None => Err(step.fail("no earlier entry created the record")),
        }
    }

    fn unknown(&mut self, field: &'static str) {
        if !self.unknown.contains(&field) {
            self.unknown.push(field);
        }
    }

    fn known(&mut self, field: &str) {
        self.unknown.retain(|f| *f != field);
    }

    pub(super) fn finish(self, wrap: impl FnOnce(T) -> ExpectedRecord) -> Expected {
        match self.record {
            Some((record, created)) => Expected::Present {
                record: Box::new(wrap(record)),
                unknown: self.unknown,
                created,
            },
            None => Expected::Absent { removed: None },
        }
    }
}

pub(super) fn not_here(step: &Step<'_>, what: &str) -> String {
    step.fail(format!("not an action that changes {what}"))
}

fn event(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<Event>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::EventReported) => {
                let event: Event = step.whole()?;
                // An anonymous report's entry holds no identity.
                if event.anonymous && event.submitted_by.is_none() {
                    fold.unknown("submitted_by");
                }
                fold.create(&step, event)?;
            }
            Some(K::EventRepeated) => {
                let f = step.fields()?;
                let e = fold.current(&step)?;
                e.occurrences = f.get("occurrences")?;
                e.last_seen = f.get("last_seen")?;
            }
            Some(K::EventTriage) => {
                let f = step.fields()?;
                let at = step.at()?;
                let e = fold.current(&step)?;
                e.status = f.get("status")?;
                e.triage = Some(Triage {
                    by: step.actor(),
                    at,
                });
            }
            Some(K::EventAssessed) => {
                let f = step.fields()?;
                // The point of contact's entry carries the status beside the
                // assessment; the correlation rule's, the assessment alone.
                let (assessment, status): (Assessment, EventStatus) = if f.has("assessment") {
                    (f.get("assessment")?, f.get("status")?)
                } else {
                    let a: Assessment = step.whole()?;
                    let status = match a.decision {
                        AssessmentDecision::FalseAlarm => EventStatus::FalseAlarm,
                        AssessmentDecision::HandledLocally => EventStatus::HandledLocally,
                        AssessmentDecision::PossibleIncident => EventStatus::Escalated,
                    };
                    (a, status)
                };
                let e = fold.current(&step)?;
                if e.triage.is_none() {
                    e.triage = Some(Triage {
                        by: assessment.by.clone(),
                        at: assessment.at,
                    });
                }
                e.status = status;
                e.assessment = Some(assessment);
            }
            Some(K::EventRejected) => {
                let f = step.fields()?;
                let e = fold.current(&step)?;
                e.status = f.get("status")?;
                e.rejection = f.get("rejection")?;
            }
            Some(K::EventLinked) => {
                let f = step.fields()?;
                let e = fold.current(&step)?;
                e.status = f.get("status")?;
                e.incident = f.get("incident")?;
            }
            Some(K::IncidentEventLinked) => {
                let incident = entry.entity.parse().map_err(|m| step.fail(m))?;
                let e = fold.current(&step)?;
                e.status = EventStatus::Linked;
                e.incident = Some(incident);
            }
            Some(K::IncidentMergedFrom) => {
                let incident = entry.entity.parse().map_err(|m| step.fail(m))?;
                fold.current(&step)?.incident = Some(incident);
            }
            // A report handed over, journaled; the record does not change.
            Some(K::EventReportIssued) => {
                fold.current(&step)?;
            }
            _ => return Err(not_here(&step, "an event")),
        }
    }
    Ok(fold.finish(ExpectedRecord::Event))
}

/// A line the incident writes into its own log, as `Incident` does.
fn push_log(
    incident: &mut Incident,
    kind: LogKind,
    action: String,
    reason: Option<Text>,
    actor: String,
    at: Timestamp,
) {
    let id = u32::try_from(incident.log.len() + 1).unwrap_or(u32::MAX);
    incident.log.push(LogEntry {
        id,
        kind,
        action: Text::lossy(&action),
        decision: None,
        reason,
        tools: Vec::new(),
        occurred_at: at,
        recorded_at: at,
        actor,
        cites: None,
    });
    incident.updated_at = at;
}

/// The times a lifecycle move may set, which its entry carries (the
/// incident's after the move) from this version on.
const MOVE_TIMES: [&str; 3] = ["contained_at", "ended_at", "impact_ended_at"];

fn incident(number: &str, entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<Incident>::new();
    // Assets of the events the incident takes in, from their reports.
    let mut assets: HashMap<String, Vec<Text>> = HashMap::new();
    for entry in entries {
        let step = Step(entry);
        if entry.entity != number {
            if K::from_name(&entry.action) == Some(K::EventReported) {
                let f = step.fields()?;
                assets.insert(entry.entity.clone(), f.get("assets")?);
                continue;
            }
            return Err(step.fail(format!("an entry about {}", entry.entity)));
        }
        match K::from_name(&entry.action) {
            Some(K::IncidentConfirmed) => {
                let incident: Incident = step.whole()?;
                fold.create(&step, incident)?;
            }
            Some(K::IncidentUpdated) => {
                let f = step.fields()?;
                let changed: Map<String, Value> = f.get("changed")?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                let mut value = serde_json::to_value(&*inc).map_err(|e| step.fail(e))?;
                if let Some(map) = value.as_object_mut() {
                    for (field, change) in &changed {
                        let after = change.get("after").cloned().unwrap_or(Value::Null);
                        map.insert(field.clone(), after);
                    }
                }
                let mut updated: Incident =
                    serde_json::from_value(value).map_err(|e| step.fail(e))?;
                if changed.contains_key("severity") || changed.contains_key("effort") {
                    updated.priority = Priority::new(updated.severity.class, updated.effort);
                }
                let names: Vec<&str> = PATCH_FIELDS
                    .iter()
                    .copied()
                    .filter(|f| changed.contains_key(*f))
                    .collect();
                push_log(
                    &mut updated,
                    LogKind::Note,
                    format!("updated {}", names.join(", ")),
                    None,
                    step.actor(),
                    at,
                );
                *inc = updated;
                for field in changed.keys() {
                    fold.known(field);
                }
            }
            Some(K::IncidentEventLinked) => {
                let f = step.fields()?;
                let event: EventNumber = f.get("event")?;
                let at = step.at()?;
                let added = assets.get(&event.to_string()).cloned();
                let inc = fold.current(&step)?;
                inc.events.push(event);
                for a in added.iter().flatten() {
                    if !inc.assets.contains(a) {
                        inc.assets.push(a.clone());
                    }
                }
                push_log(
                    inc,
                    LogKind::Decision,
                    format!("linked {event}"),
                    None,
                    step.actor(),
                    at,
                );
                if added.is_none() {
                    fold.unknown("assets");
                }
            }
            Some(K::IncidentTransition) => {
                let f = step.fields()?;
                let from: IncidentStatus = f.get("from")?;
                let to: IncidentStatus = f.get("to")?;
                let reason: Text = f.get("reason")?;
                let resolution: Option<Text> = f.get("resolution")?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                match to {
                    IncidentStatus::Closed => {
                        inc.resolution = resolution.or(inc.resolution.take());
                        inc.closed_at = Some(at);
                    }
                    IncidentStatus::Responding if !from.is_open() => inc.closed_at = None,
                    _ => {}
                }
                inc.status = to;
                push_log(
                    inc,
                    LogKind::Transition,
                    format!("status {from} -> {to}"),
                    Some(reason),
                    step.actor(),
                    at,
                );
                if f.has("contained_at") {
                    let (c, e, i) = (
                        f.get("contained_at")?,
                        f.get("ended_at")?,
                        f.get("impact_ended_at")?,
                    );
                    let inc = fold.current(&step)?;
                    (inc.contained_at, inc.ended_at, inc.impact_ended_at) = (c, e, i);
                    for field in MOVE_TIMES {
                        fold.known(field);
                    }
                } else {
                    // Written before the entry carried the times: the request
                    // may have given any of them.
                    if matches!(to, IncidentStatus::Recovering | IncidentStatus::Closed) {
                        fold.unknown("contained_at");
                    }
                    if to == IncidentStatus::Closed {
                        fold.unknown("ended_at");
                    }
                    fold.unknown("impact_ended_at");
                }
            }
            Some(K::IncidentLog) => {
                let line: LogEntry = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                inc.log.push(line);
                inc.updated_at = at;
            }
            Some(K::IncidentActionAdded) => {
                let action: ResponseAction = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                inc.actions.push(action);
                inc.updated_at = at;
            }
            Some(K::IncidentActionUpdated) => {
                let action: ResponseAction = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                let slot = inc
                    .actions
                    .iter_mut()
                    .find(|a| a.id == action.id)
                    .ok_or_else(|| step.fail(format!("no action {} was added", action.id)))?;
                *slot = action;
                inc.updated_at = at;
            }
            // A disclosure, journaled; the record does not change.
            Some(K::IncidentExported | K::IncidentReportIssued) => {
                fold.current(&step)?;
            }
            Some(K::IncidentReview) => {
                let review: Review = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                let version = review.version;
                inc.review = Some(review);
                push_log(
                    inc,
                    LogKind::Note,
                    format!("lessons-learned review recorded (version {version})"),
                    None,
                    step.actor(),
                    at,
                );
            }
            Some(K::IncidentRegimeApplied) => {
                let applied: AppliedRegime = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                let regimes = &mut inc.obligations.regimes;
                match regimes.iter().position(|r| r.regime == applied.regime) {
                    Some(i) => regimes[i] = applied,
                    None => regimes.push(applied),
                }
                inc.updated_at = at;
            }
            Some(K::IncidentRegimeWithdrawn) => {
                let regime: String = step.fields()?.get("regime")?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                inc.obligations.regimes.retain(|r| r.regime != regime);
                inc.updated_at = at;
            }
            Some(K::IncidentAnchorRecorded) => {
                let record: AnchorRecord = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                inc.obligations.anchors.push(record);
                inc.updated_at = at;
            }
            Some(K::IncidentSubmissionRecorded) => {
                let submission: Submission = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                inc.obligations.submissions.push(submission);
                inc.updated_at = at;
            }
            Some(K::IncidentEscalated) => {
                let reached: rampart_domain::Escalation = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                inc.escalations.push(reached);
                inc.updated_at = at;
            }
            Some(K::IncidentPublished) => {
                let f = step.fields()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                inc.published = f.get("published")?;
                inc.updated_at = at;
            }
            Some(K::IncidentRestricted) => {
                let f = step.fields()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                inc.restricted_to = f.get("restricted_to")?;
                inc.updated_at = at;
            }
            Some(K::IncidentObservableAdded) => {
                let added: IncidentObservable = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                if inc.observables.iter().any(|o| o.id == added.id) {
                    return Err(step.fail(format!("observable {} was added before", added.id)));
                }
                inc.observables.push(added);
                inc.updated_at = at;
            }
            Some(K::IncidentObservableUpdated | K::IncidentObservableRemoved) => {
                let after: IncidentObservable =
                    if K::from_name(&entry.action) == Some(K::IncidentObservableUpdated) {
                        step.fields()?.get("after")?
                    } else {
                        step.whole()?
                    };
                let at = step.at()?;
                let inc = fold.current(&step)?;
                let slot = inc
                    .observables
                    .iter_mut()
                    .find(|o| o.id == after.id && o.removed.is_none())
                    .ok_or_else(|| {
                        step.fail(format!("no observable {} is on the incident", after.id))
                    })?;
                *slot = after;
                inc.updated_at = at;
            }
            Some(K::IncidentPlaybookApplied) => {
                let applied: rampart_domain::journal::PlaybookApplied = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                inc.actions.extend(applied.actions);
                inc.playbooks.push(applied.applied);
                inc.updated_at = at;
            }
            Some(K::IncidentCommunicationDrafted) => {
                let drafted: Communication = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                if inc.communications.iter().any(|c| c.id == drafted.id) {
                    return Err(step.fail(format!("communication {} exists", drafted.id)));
                }
                inc.communications.push(drafted);
                inc.updated_at = at;
            }
            Some(
                K::IncidentCommunicationApproved
                | K::IncidentCommunicationSent
                | K::IncidentCommunicationWithdrawn,
            ) => {
                let changed: Communication = step.whole()?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                let id = changed.id;
                let slot = inc.communications.iter_mut().find(|c| c.id == id);
                *slot.ok_or_else(|| step.fail(format!("no communication {id}")))? = changed;
                inc.updated_at = at;
            }
            Some(K::IncidentMergedInto) => {
                let f = step.fields()?;
                let into: IncidentNumber = f.get("into")?;
                let from: IncidentStatus = f.get("from")?;
                let reason: Text = f.get("reason")?;
                let at = step.at()?;
                let inc = fold.current(&step)?;
                inc.status = IncidentStatus::Closed;
                inc.closed_at = Some(at);
                inc.resolution = Some(f.get("resolution")?);
                inc.merged_into = Some(into);
                inc.events.clear();
                inc.observables.clear();
                inc.actions.clear();
                push_log(
                    inc,
                    LogKind::Transition,
                    format!("status {from} -> closed: merged into {into}"),
                    Some(reason),
                    step.actor(),
                    at,
                );
            }
            Some(K::IncidentMergedFrom) => {
                let f = step.fields()?;
                let at = step.at()?;
                let events: Vec<EventNumber> = f.get("events")?;
                let assets: Vec<Text> = f.get("assets")?;
                let observables: Vec<IncidentObservable> = f.get("observables")?;
                let log: Vec<LogEntry> = f.get("log")?;
                let actions: Vec<ResponseAction> = f.get("actions")?;
                let related: Vec<IncidentNumber> = f.get("related_incidents")?;
                let inc = fold.current(&step)?;
                inc.events.extend(events);
                inc.assets.extend(assets);
                inc.observables.extend(observables);
                inc.log.extend(log);
                inc.actions.extend(actions);
                inc.related_incidents.extend(related);
                inc.updated_at = at;
            }
            _ => return Err(not_here(&step, "an incident")),
        }
    }
    Ok(fold.finish(ExpectedRecord::Incident))
}

fn evidence(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<EvidenceItem>::new();
    for entry in entries {
        let step = Step(entry);
        let check = |during: &str, found: String, intact: bool| -> Result<EvidenceCheck, String> {
            Ok(EvidenceCheck {
                by: step.actor(),
                at: step.at()?,
                during: during.to_owned(),
                found,
                intact,
            })
        };
        match K::from_name(&entry.action) {
            Some(K::EvidenceCollected) => {
                let Value::Object(mut item) = step.whole::<Value>()? else {
                    return Err(step.fail("the payload is not an object"));
                };
                item.insert("number".into(), Value::String(entry.entity.clone()));
                item.insert("recorded_at".into(), Value::String(step.at()?.to_rfc3339()));
                item.insert("recorded_by".into(), Value::String(step.actor()));
                for empty in ["last_check", "hold", "disposed"] {
                    item.insert(empty.into(), Value::Null);
                }
                let item: EvidenceItem =
                    serde_json::from_value(Value::Object(item)).map_err(|e| step.fail(e))?;
                fold.create(&step, item)?;
            }
            Some(kind @ (K::EvidenceDownloaded | K::EvidenceVerified | K::EvidenceExported)) => {
                let f = step.fields()?;
                let during = match kind {
                    K::EvidenceDownloaded => "download",
                    K::EvidenceVerified => "verification",
                    _ => "export",
                };
                let found: Option<String> = f.get("verified_sha256")?;
                match found {
                    Some(found) => {
                        let last = check(during, found, true)?;
                        fold.current(&step)?.last_check = Some(last);
                        fold.known("last_check");
                    }
                    None => fold.unknown("last_check"),
                }
            }
            Some(K::EvidenceIntegrityFailed) => {
                let f = step.fields()?;
                let during: String = f.get("during")?;
                let found: Option<String> = f.get("found_sha256")?;
                let last = check(&during, found.unwrap_or_default(), false)?;
                fold.current(&step)?.last_check = Some(last);
                fold.known("last_check");
            }
            Some(K::EvidenceTransferred) => {
                let f = step.fields()?;
                let item = fold.current(&step)?;
                item.custodian = f.get("to")?;
                item.location = f.get("location")?;
                if let Some(seal) = f.get("seal")? {
                    item.seal = Some(seal);
                }
            }
            Some(K::EvidenceMoved) => {
                let f = step.fields()?;
                fold.current(&step)?.incident = f.get("to")?;
            }
            Some(K::EvidenceAttached) => {
                let f = step.fields()?;
                let item = fold.current(&step)?;
                item.event = f.get("event")?;
                item.incident = f.get("incident")?;
            }
            Some(K::EvidenceHoldPlaced) => {
                let f = step.fields()?;
                let hold = Stamp {
                    by: step.actor(),
                    at: step.at()?,
                    reason: f.get("reason")?,
                };
                fold.current(&step)?.hold = Some(hold);
            }
            Some(K::EvidenceHoldReleased) => {
                fold.current(&step)?.hold = None;
            }
            Some(K::EvidenceDisposed) => {
                let f = step.fields()?;
                let disposed = Stamp {
                    by: step.actor(),
                    at: step.at()?,
                    reason: f.get("reason")?,
                };
                fold.current(&step)?.disposed = Some(disposed);
            }
            _ => return Err(not_here(&step, "an evidence item")),
        }
    }
    Ok(fold.finish(ExpectedRecord::Evidence))
}

fn user(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<User>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::UserCreated) => {
                let f = step.fields()?;
                let user = User {
                    name: f.get("name")?,
                    roles: f.get("roles")?,
                    created_at: step.at()?,
                    created_by: step.actor(),
                    disabled: false,
                };
                fold.create(&step, user)?;
            }
            Some(K::UserRolesChanged) => {
                let f = step.fields()?;
                fold.current(&step)?.roles = f.get("after")?;
            }
            Some(K::UserDisabled) => fold.current(&step)?.disabled = true,
            Some(K::UserEnabled) => fold.current(&step)?.disabled = false,
            _ => return Err(not_here(&step, "a user")),
        }
    }
    Ok(fold.finish(ExpectedRecord::User))
}

/// A secret an entry set: by its digest when the entry carries one.
fn secret_set(f: &Fields<'_, '_>, digest_field: &str) -> Result<Secret, String> {
    let digest: Option<String> = f.get(digest_field)?;
    Ok(digest.map_or(Secret::Set, Secret::Digest))
}

fn credentials(name: &str, entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<ExpectedCredentials>::new();
    for entry in entries {
        let step = Step(entry);
        // The first change of a user's credentials creates their row.
        if fold.record.is_none() {
            let empty = ExpectedCredentials {
                user: name.to_owned(),
                password: Secret::Absent,
                totp: Secret::Absent,
                totp_required: false,
            };
            fold.create(&step, empty)?;
        }
        let f = step.fields()?;
        let c = fold.current(&step)?;
        match K::from_name(&entry.action) {
            Some(K::UserPasswordSet | K::AuthPasswordChanged) => {
                c.password = secret_set(&f, "password_hash_sha256")?;
            }
            Some(K::AuthTotpEnrolled) => c.totp = secret_set(&f, "totp_secret_sha256")?,
            Some(K::UserTotpReset) => c.totp = Secret::Absent,
            Some(K::UserTotpRequired) => c.totp_required = f.get("required")?,
            _ => return Err(not_here(&step, "a user's credentials")),
        }
    }
    Ok(fold.finish(ExpectedRecord::Credentials))
}

fn token(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<ExpectedToken>::new();
    let mut removed = None;
    for entry in entries {
        let step = Step(entry);
        let f = step.fields()?;
        match K::from_name(&entry.action) {
            Some(K::TokenCreated) => {
                let token = ExpectedToken {
                    id: f.get("token_id")?,
                    user: f.get("user")?,
                    created_at: step.at()?,
                    created_by: step.actor(),
                    hash: secret_set(&f, "token_hash_sha256")?,
                    name: f.get::<Option<String>>("name")?.unwrap_or_default(),
                    scopes: f.get("scopes")?,
                    expires_at: f.get("expires_at")?,
                };
                fold.create(&step, token)?;
            }
            Some(K::TokenRevoked) => {
                fold.current(&step)?;
                fold.record = None;
                removed = Some(entry.seq);
            }
            _ => return Err(not_here(&step, "an API token")),
        }
    }
    Ok(match fold.record {
        Some(_) => fold.finish(ExpectedRecord::Token),
        None => Expected::Absent { removed },
    })
}
