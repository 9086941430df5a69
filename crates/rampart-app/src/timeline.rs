//! An incident's timeline: its own management log merged with what the
//! journal recorded about the incident and its evidence items, as typed
//! items ordered by when things happened (or when they were recorded).
//!
//! The log already records some changes itself: the confirmation, linked
//! events, lifecycle moves, the `updated …` notes of field changes and the
//! lessons-learned review. Their journal entries add no item of their own;
//! an `incident.updated` entry gives its log note the fields' before and
//! after instead. Every other change (response actions and approvals,
//! observables, the restriction, evidence custody) is an item read from the
//! journal.

use rampart_domain::journal::{
    EvidenceCollected, EvidenceTransferred, FieldChange, IncidentObservableUpdated,
    IncidentRestricted, IncidentUpdated,
};
use rampart_domain::{
    Action, Actor, Communication, CommunicationStatus, EvidenceNumber, Incident, IncidentNumber,
    IncidentObservable, JournalAction, LogEntry, ResponseAction, Timestamp,
};
use rampart_store::{EvidenceQuery, JournalEntry, JournalSearch};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{App, AppError};

/// The most items a timeline holds: the newest in the order asked for.
pub const TIMELINE_LIMIT: usize = 500;

/// The most evidence items whose custody the timeline reads (the newest).
pub const TIMELINE_EVIDENCE_ITEMS: usize = 100;

/// A shown value longer than this is cut, with an ellipsis.
pub const VALUE_CHARS: usize = 80;

/// Which time orders the timeline (newest first either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineOrder {
    /// When things happened (`occurred_at`).
    #[default]
    Occurred,
    /// When they were recorded (`recorded_at`).
    Recorded,
}

impl TimelineOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Occurred => "occurred",
            Self::Recorded => "recorded",
        }
    }

    /// The order named `text`, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "occurred" => Some(Self::Occurred),
            "recorded" => Some(Self::Recorded),
            _ => None,
        }
    }
}

/// What an item is about, for its badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// Log entries, as their kind says.
    Action,
    Decision,
    Note,
    Transition,
    /// Fields of the incident changed (before and after in `details`).
    Change,
    /// A response action planned or changed.
    ResponseAction,
    /// A response action's approval recorded.
    Approval,
    Observable,
    Evidence,
    Restriction,
    /// Notification obligations: regimes, moments, reports sent; escalations.
    Deadline,
    /// A communication drafted, approved, sent or withdrawn.
    Communication,
}

impl TimelineKind {
    /// The badge's words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::Decision => "decision",
            Self::Note => "note",
            Self::Transition => "transition",
            Self::Change => "change",
            Self::ResponseAction => "response action",
            Self::Approval => "approval",
            Self::Observable => "observable",
            Self::Evidence => "evidence",
            Self::Restriction => "restriction",
            Self::Deadline => "deadline",
            Self::Communication => "communication",
        }
    }
}

/// One thing that happened to the incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineItem {
    /// When it happened (may be earlier than when it was recorded).
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    /// Who did or recorded it.
    pub actor: String,
    pub kind: TimelineKind,
    /// What happened, in one line.
    pub text: String,
    /// Why, where the record says.
    pub reason: Option<String>,
    /// Further lines: a field's `before → after`, a decision, tools used.
    pub details: Vec<String>,
    /// The log entry it is, when it comes from the incident's log.
    pub log_id: Option<u32>,
    /// The journal entry it comes from (or that gave a log entry its details).
    pub journal_seq: Option<u64>,
    /// The evidence item it is about.
    pub evidence: Option<EvidenceNumber>,
    /// The plan or procedure section a log entry cites.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cites: Option<rampart_domain::SectionRef>,
}

/// An incident's timeline, newest first in the order asked for.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeline {
    pub incident: IncidentNumber,
    pub order: TimelineOrder,
    pub items: Vec<TimelineItem>,
    /// Older items were left out: only the newest `limit` are listed.
    pub truncated: bool,
    pub limit: usize,
}

impl App {
    /// The timeline of an incident the actor may read; evidence items only
    /// for those who may view evidence.
    pub async fn incident_timeline(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        order: TimelineOrder,
    ) -> Result<Timeline, AppError> {
        let incident = self.get_incident(actor, number).await?;
        let mut entries = self.newest_entries(number.to_string()).await?;
        let mut cut = entries.len() >= TIMELINE_LIMIT;
        if actor.may(Action::ViewEvidence) {
            // One more than shown tells whether older items were left out.
            let newest = self
                .store
                .list_evidence(&EvidenceQuery {
                    incident: Some(number),
                    newest: Some(TIMELINE_EVIDENCE_ITEMS as u32 + 1),
                    ..EvidenceQuery::default()
                })
                .await?;
            cut |= newest.len() > TIMELINE_EVIDENCE_ITEMS;
            for item in newest.iter().take(TIMELINE_EVIDENCE_ITEMS) {
                let about = self.newest_entries(item.number.to_string()).await?;
                cut |= about.len() >= TIMELINE_LIMIT;
                entries.extend(about);
            }
        }
        let mut timeline = merge(&incident, &entries, order, TIMELINE_LIMIT);
        timeline.truncated |= cut;
        Ok(timeline)
    }

    /// The newest journal entries about one record, at most [`TIMELINE_LIMIT`].
    async fn newest_entries(&self, entity: String) -> Result<Vec<JournalEntry>, AppError> {
        Ok(self
            .store
            .journal_search(&JournalSearch {
                limit: TIMELINE_LIMIT as u32,
                entity: Some(entity),
                ..JournalSearch::default()
            })
            .await?)
    }
}

/// Merges the incident's log with journal entries about it and its
/// evidence; keeps the newest `limit` items in `order`.
pub fn merge(
    incident: &Incident,
    entries: &[JournalEntry],
    order: TimelineOrder,
    limit: usize,
) -> Timeline {
    let mut items: Vec<TimelineItem> = incident.log.iter().map(of_log).collect();
    let mut sorted: Vec<&JournalEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.seq);
    sorted.dedup_by_key(|e| e.seq);
    for entry in sorted {
        let Ok(at) = Timestamp::parse(&entry.at) else {
            continue;
        };
        let Ok(action) = JournalAction::parse_text(&entry.action, &entry.payload) else {
            continue;
        };
        let base = TimelineItem {
            occurred_at: at,
            recorded_at: at,
            actor: entry.actor.clone(),
            kind: TimelineKind::Note,
            text: String::new(),
            reason: None,
            details: Vec::new(),
            log_id: None,
            journal_seq: Some(entry.seq),
            evidence: None,
            cites: None,
        };
        if let JournalAction::IncidentUpdated(u) = &action {
            attach_changes(&mut items, base, u);
            continue;
        }
        if let Some(item) = of_journal(base, &entry.entity, action) {
            items.push(item);
        }
    }
    let key = |i: &TimelineItem| match order {
        TimelineOrder::Occurred => (i.occurred_at, i.recorded_at),
        TimelineOrder::Recorded => (i.recorded_at, i.occurred_at),
    };
    // Stable: items with the same times keep the order they were recorded in.
    items.reverse();
    items.sort_by_key(|i| std::cmp::Reverse(key(i)));
    let truncated = items.len() > limit;
    items.truncate(limit);
    Timeline {
        incident: incident.number,
        order,
        items,
        truncated,
        limit,
    }
}

fn of_log(e: &LogEntry) -> TimelineItem {
    use rampart_domain::LogKind;
    let mut details = Vec::new();
    if let Some(d) = &e.decision {
        details.push(format!("decision: {d}"));
    }
    if !e.tools.is_empty() {
        let tools: Vec<String> = e.tools.iter().map(ToString::to_string).collect();
        details.push(format!("tools: {}", tools.join(", ")));
    }
    TimelineItem {
        occurred_at: e.occurred_at,
        recorded_at: e.recorded_at,
        actor: e.actor.clone(),
        kind: match e.kind {
            LogKind::Action => TimelineKind::Action,
            LogKind::Decision => TimelineKind::Decision,
            LogKind::Note => TimelineKind::Note,
            LogKind::Transition => TimelineKind::Transition,
        },
        text: e.action.to_string(),
        reason: e.reason.as_ref().map(ToString::to_string),
        details,
        log_id: Some(e.id),
        journal_seq: None,
        evidence: None,
        cites: e.cites.clone(),
    }
}

/// Gives the `updated …` log note written with a field change its before
/// and after; a change with no such note becomes an item of its own.
fn attach_changes(items: &mut Vec<TimelineItem>, base: TimelineItem, u: &IncidentUpdated) {
    let details: Vec<String> = u
        .changed
        .iter()
        .map(|(field, change)| field_change(field, change))
        .collect();
    let note = items.iter_mut().find(|i| {
        i.log_id.is_some()
            && i.journal_seq.is_none()
            && i.kind == TimelineKind::Note
            && i.text.starts_with("updated ")
            && i.recorded_at == base.recorded_at
            && i.actor == base.actor
    });
    match note {
        Some(note) => {
            note.kind = TimelineKind::Change;
            note.journal_seq = base.journal_seq;
            note.details.extend(details);
        }
        None => {
            let names: Vec<&str> = u.changed.keys().map(String::as_str).collect();
            items.push(TimelineItem {
                kind: TimelineKind::Change,
                text: format!("updated {}", names.join(", ")),
                details,
                ..base
            });
        }
    }
}

/// `field: before → after`, each value readable and cut when long; of a
/// record (a severity, a perpetrator) only the parts that changed, without
/// the ones derived from them (`label`, `significant`).
pub fn field_change(field: &str, change: &FieldChange) -> String {
    let name = field.replace('_', " ");
    if let (Value::Object(_), Value::Object(_)) = (&change.before, &change.after) {
        let mut parts = Vec::new();
        differing("", &change.before, &change.after, &mut parts);
        if !parts.is_empty() {
            return format!("{name}: {}", parts.join(" · "));
        }
    }
    format!(
        "{name}: {} → {}",
        shorten(&readable(&change.before)),
        shorten(&readable(&change.after))
    )
}

/// The leaves of two records that differ, as `path before → after`.
fn differing(path: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                if matches!(k.as_str(), "label" | "significant") {
                    continue;
                }
                let (x, y) = (
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                );
                if x != y {
                    let name = k.replace('_', " ");
                    // A severity's factors read as the factors themselves.
                    let sub = if path.is_empty() || path == "factors" {
                        if k == "factors" { String::new() } else { name }
                    } else if k == "factors" {
                        path.to_owned()
                    } else {
                        format!("{path} {name}")
                    };
                    differing(&sub, x, y, out);
                }
            }
        }
        _ => out.push(format!(
            "{}{} → {}",
            if path.is_empty() {
                String::new()
            } else {
                format!("{path} ")
            },
            shorten(&readable(before)),
            shorten(&readable(after))
        )),
    }
}

/// A JSON value as a person reads it.
pub fn readable(value: &Value) -> String {
    match value {
        Value::Null => "none".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => "none".into(),
        Value::String(s) => s.replace('_', " "),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => a.iter().map(readable).collect::<Vec<_>>().join(", "),
        Value::Object(o) => {
            // A severity names its class; say it, with the factors behind it.
            if let Some(Value::String(label)) = o.get("label") {
                let factors = o.get("factors").map(readable);
                return match factors {
                    Some(f) if !f.is_empty() => format!("{label} ({f})"),
                    _ => label.clone(),
                };
            }
            // In the order of the names, whatever order the map keeps.
            let mut fields: Vec<(&String, &Value)> =
                o.iter().filter(|(_, v)| !v.is_null()).collect();
            fields.sort_by(|a, b| a.0.cmp(b.0));
            fields
                .into_iter()
                .map(|(k, v)| format!("{} {}", k.replace('_', " "), readable(v)))
                .collect::<Vec<_>>()
                .join(" · ")
        }
    }
}

/// `text` cut to [`VALUE_CHARS`] characters, with an ellipsis when cut.
pub fn shorten(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= VALUE_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(VALUE_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The item a journal entry adds, or `None` when the log already records
/// it (or it is not about the incident's course: downloads, exports).
fn of_journal(base: TimelineItem, entity: &str, action: JournalAction) -> Option<TimelineItem> {
    use JournalAction as J;
    let evidence = entity.parse::<EvidenceNumber>().ok();
    let item = |kind, text: String| TimelineItem {
        kind,
        text,
        evidence,
        cites: None,
        ..base.clone()
    };
    let e = evidence.map(|n| n.to_string()).unwrap_or_default();
    Some(match action {
        J::IncidentActionAdded(a) => {
            let mut i = item(
                TimelineKind::ResponseAction,
                format!("planned {}", action_name(&a)),
            );
            i.details
                .push(format!("owner: {}", shorten(a.owner.as_str())));
            if let Some(due) = a.due {
                i.details.push(format!("due: {due}"));
            }
            if a.requires_approval {
                i.details.push("needs an approval before it starts".into());
            }
            i
        }
        J::IncidentActionUpdated(a) => action_updated(item, &a, base.recorded_at),
        J::IncidentObservableAdded(o) => {
            let mut i = item(
                TimelineKind::Observable,
                format!("added observable {}", observable(&o)),
            );
            i.details.push(markings(&o));
            if let Some(n) = &o.note {
                i.details.push(format!("note: {}", shorten(n.as_str())));
            }
            i
        }
        J::IncidentObservableUpdated(u) => observable_updated(item, &u),
        J::IncidentObservableRemoved(o) => {
            let mut i = item(
                TimelineKind::Observable,
                format!("removed observable {}", observable(&o)),
            );
            i.reason = o.removed.and_then(|r| r.reason).map(|r| r.to_string());
            i
        }
        J::IncidentRestricted(IncidentRestricted { restricted_to }) => {
            let text = if restricted_to.is_empty() {
                "lifted the restriction: everyone who may read incidents sees it".to_owned()
            } else {
                format!("restricted to {}", restricted_to.join(", "))
            };
            item(TimelineKind::Restriction, text)
        }
        J::IncidentRegimeApplied(a) => {
            let mut i = item(
                TimelineKind::Deadline,
                format!("found that {} applies", a.regime),
            );
            i.reason = a.reason.map(|r| r.to_string());
            for answer in &a.answers {
                i.details.push(format!(
                    "{}: {}",
                    answer.question,
                    if answer.yes { "yes" } else { "no" }
                ));
            }
            i
        }
        J::IncidentRegimeWithdrawn(w) => {
            let mut i = item(
                TimelineKind::Deadline,
                format!("found that {} does not apply after all", w.regime),
            );
            i.reason = Some(w.reason.to_string());
            i
        }
        J::IncidentAnchorRecorded(a) => item(
            TimelineKind::Deadline,
            format!("recorded the moment {} as {}", a.anchor, a.at),
        ),
        J::IncidentSubmissionRecorded(s) => item(
            TimelineKind::Deadline,
            format!(
                "sent the {} report of {} to {} at {}",
                s.report, s.regime, s.authority, s.at
            ),
        ),
        J::IncidentEscalated(x) => item(
            TimelineKind::Deadline,
            format!("{}; told {}", x.describe(), x.told.join(", ")),
        ),
        J::IncidentPlaybookApplied(p) => {
            let mut i = item(
                TimelineKind::ResponseAction,
                format!(
                    "applied playbook {} (version {})",
                    shorten(p.applied.title.as_str()),
                    p.applied.version
                ),
            );
            for a in &p.actions {
                i.details.push(action_name(a));
            }
            i
        }
        J::IncidentCommunicationDrafted(c) => {
            let mut i = item(
                TimelineKind::Communication,
                format!("drafted {}", communication_name(&c)),
            );
            i.details.push(format!(
                "{} · {} · TLP:{}",
                c.audience.title(),
                c.channel,
                c.tlp
            ));
            i.details.push(format!("to: {}", recipients(&c)));
            if c.status == CommunicationStatus::AwaitingApproval {
                i.details
                    .push("needs an approval before it goes out".into());
            }
            i
        }
        J::IncidentCommunicationApproved(c) => {
            let mut i = item(
                TimelineKind::Communication,
                format!("approved {}", communication_name(&c)),
            );
            if let Some(a) = &c.approval {
                i.details.push(format!("as {}", a.role.title()));
                i.reason = a.note.as_ref().map(ToString::to_string);
            }
            i
        }
        J::IncidentCommunicationSent(c) => {
            let mut i = item(
                TimelineKind::Communication,
                format!("sent {}", communication_name(&c)),
            );
            i.details
                .push(format!("to: {} by {}", recipients(&c), c.channel));
            if let Some(s) = &c.sent {
                i.occurred_at = s.at;
                if let Some(r) = &s.reference {
                    i.details
                        .push(format!("reference: {}", shorten(r.as_str())));
                }
            }
            if let Some(a) = &c.approval {
                i.details
                    .push(format!("approved by {} ({})", a.by, a.role.title()));
            }
            i
        }
        J::IncidentCommunicationWithdrawn(c) => {
            let mut i = item(
                TimelineKind::Communication,
                format!("withdrew {}", communication_name(&c)),
            );
            i.reason = c.withdrawn.as_ref().map(|w| w.reason.to_string());
            i
        }
        J::EvidenceCollected(c) => evidence_collected(item, &e, &c),
        J::EvidenceTransferred(t) => evidence_transferred(item, &e, &t),
        J::EvidenceVerified(_) => item(
            TimelineKind::Evidence,
            format!("verified {e}: content intact"),
        ),
        J::EvidenceHoldPlaced(h) => {
            let mut i = item(
                TimelineKind::Evidence,
                format!("placed a legal hold on {e}"),
            );
            i.reason = Some(h.reason.to_string());
            i
        }
        J::EvidenceHoldReleased(h) => {
            let mut i = item(
                TimelineKind::Evidence,
                format!("released the legal hold on {e}"),
            );
            i.reason = Some(h.reason.to_string());
            i.details
                .push(format!("placed by {} at {}", h.placed.by, h.placed.at));
            i
        }
        J::EvidenceAttached(a) => item(
            TimelineKind::Evidence,
            format!(
                "{e}, secured while {} was in triage, followed it into the incident",
                a.event
            ),
        ),
        J::EvidenceDisposed(d) => {
            let mut i = item(
                TimelineKind::Evidence,
                format!("disposed of the content of {e}"),
            );
            i.reason = Some(d.reason.to_string());
            i
        }
        J::EvidenceIntegrityFailed(f) => {
            let mut i = item(
                TimelineKind::Evidence,
                format!("integrity check of {e} failed during {}", f.during),
            );
            if let Some(p) = f.problem {
                i.details.push(shorten(&p));
            }
            i
        }
        // In the incident's log already, or not part of the incident's course.
        J::IncidentConfirmed(_)
        | J::IncidentLog(_)
        | J::IncidentTransition(_)
        | J::IncidentEventLinked(_)
        | J::IncidentReview(_)
        | J::IncidentUpdated(_)
        | J::EvidenceDownloaded(_)
        | J::EvidenceExported(_) => return None,
        _ => return None,
    })
}

fn communication_name(c: &Communication) -> String {
    format!("communication {}: {}", c.id, shorten(c.subject.as_str()))
}

/// The recipients of a communication, in one line.
fn recipients(c: &Communication) -> String {
    let all: Vec<String> = c
        .recipients
        .iter()
        .map(ToString::to_string)
        .chain(c.other_recipients.iter().map(ToString::to_string))
        .collect();
    shorten(&all.join(", "))
}

fn action_name(a: &ResponseAction) -> String {
    format!("action {}: {}", a.id, shorten(a.what.as_str()))
}

/// An action change: an approval recorded in it is its own kind of item,
/// dated when the approval was given.
fn action_updated(
    item: impl Fn(TimelineKind, String) -> TimelineItem,
    a: &ResponseAction,
    at: Timestamp,
) -> TimelineItem {
    if let Some(approval) = a.approval.as_ref().filter(|p| p.at == at) {
        let mut i = item(
            TimelineKind::Approval,
            format!(
                "{} approved {}",
                shorten(approval.approved_by.as_str()),
                action_name(a)
            ),
        );
        i.occurred_at = approval.approved_at.unwrap_or(approval.at);
        i.reason = approval.reason.as_ref().map(ToString::to_string);
        i.details.push(format!("status: {}", a.status));
        return i;
    }
    let mut i = item(
        TimelineKind::ResponseAction,
        format!(
            "{} is {}",
            action_name(a),
            a.status.as_str().replace('_', " ")
        ),
    );
    i.details
        .push(format!("owner: {}", shorten(a.owner.as_str())));
    if let Some(due) = a.due {
        i.details.push(format!("due: {due}"));
    }
    if let Some(outcome) = &a.outcome {
        i.details
            .push(format!("outcome: {}", shorten(outcome.as_str())));
    }
    i
}

fn observable(o: &IncidentObservable) -> String {
    format!("{} {}", o.kind, shorten(&o.value))
}

fn markings(o: &IncidentObservable) -> String {
    let mut m = vec![format!("TLP:{}", o.tlp), format!("PAP:{}", o.pap)];
    if o.ioc {
        m.push("IOC".into());
    }
    if o.sighted {
        m.push("sighted".into());
    }
    m.join(" · ")
}

fn observable_updated(
    item: impl Fn(TimelineKind, String) -> TimelineItem,
    u: &IncidentObservableUpdated,
) -> TimelineItem {
    let mut i = item(
        TimelineKind::Observable,
        format!("changed observable {}", observable(&u.after)),
    );
    let (b, a) = (&u.before, &u.after);
    let yes = |v: bool| if v { "yes" } else { "no" };
    let mut line = |field: &str, before: String, after: String| {
        if before != after {
            i.details.push(format!(
                "{field}: {} → {}",
                shorten(&before),
                shorten(&after)
            ));
        }
    };
    line("TLP", b.tlp.to_string(), a.tlp.to_string());
    line("PAP", b.pap.to_string(), a.pap.to_string());
    line("IOC", yes(b.ioc).into(), yes(a.ioc).into());
    line("sighted", yes(b.sighted).into(), yes(a.sighted).into());
    let note = |n: &Option<rampart_domain::Text>| {
        n.as_ref()
            .map_or_else(|| "none".to_owned(), ToString::to_string)
    };
    line("note", note(&b.note), note(&a.note));
    i
}

fn evidence_collected(
    item: impl Fn(TimelineKind, String) -> TimelineItem,
    e: &str,
    c: &EvidenceCollected,
) -> TimelineItem {
    let what = if c.content.is_some() {
        "collected"
    } else {
        "recorded the physical item"
    };
    let mut i = item(
        TimelineKind::Evidence,
        format!("{what} {e}: {}", shorten(c.description.as_str())),
    );
    i.occurred_at = c.collected_at;
    i.reason = Some(c.reason.to_string());
    i.details
        .push(format!("found at: {}", shorten(c.found_at.as_str())));
    i.details.push(format!(
        "collected by: {}",
        shorten(c.collected_by.as_str())
    ));
    i.details.push(format!("custodian: {}", c.custodian));
    if let Some(event) = c.event {
        i.details.push(format!("secured for {event} in triage"));
    }
    if let Some(seal) = &c.seal {
        i.details.push(format!("seal: {}", shorten(seal.as_str())));
    }
    i
}

fn evidence_transferred(
    item: impl Fn(TimelineKind, String) -> TimelineItem,
    e: &str,
    t: &EvidenceTransferred,
) -> TimelineItem {
    let text = if t.from == t.to {
        format!("moved {e}")
    } else {
        format!("custody of {e} passed from {} to {}", t.from, t.to)
    };
    let mut i = item(TimelineKind::Evidence, text);
    i.reason = Some(t.reason.to_string());
    if let Some(l) = &t.location {
        i.details.push(format!("location: {}", shorten(l.as_str())));
    }
    if let Some(seal) = &t.seal {
        i.details
            .push(format!("new seal: {}", shorten(seal.as_str())));
    }
    i
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
