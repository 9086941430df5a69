//! Information security incidents: confirmation from events, classification,
//! the response lifecycle, the incident management log, response actions and
//! the lessons-learned review. Response actions are in `actions`, the fields
//! the ISIRT changes after confirmation in `patch`.

use serde::{Deserialize, Deserializer, Serialize};

use crate::classification::wire_enum;
use crate::error::Problems;
use crate::record::{CiaImpact, Conclusion, Investigation, MAX_PEOPLE, Money, Notification};
use crate::review::{Review, ReviewInput};
use crate::{
    Action, Actor, Category, DomainError, Effort, Event, EventNumber, IncidentNumber,
    IncidentStatus, Lifecycle, Pap, Priority, Rsit, SCALE_VERSION, Severity, SeverityFactors,
    SeverityOverride, Text, Timestamp, Tlp,
};

mod actions;
mod communications;
mod obligations;
mod patch;

pub use actions::{ActionStatus, ActionUpdate, Approval, NewAction, ResponseAction};
pub use communications::{
    ApproveCommunication, Communication, CommunicationApproval, CommunicationAudience,
    CommunicationSent, CommunicationStatus, CommunicationWithdrawn, MAX_COMMUNICATIONS,
    NewCommunication, SendCommunication, WithdrawCommunication,
};
pub use obligations::{
    AnchorInput, MAX_OBLIGATION_RECORDS, RegimeDecision, RegimeWithdrawn, SubmissionInput,
};
use patch::null_as_default;
pub use patch::{IncidentPatch, PATCH_FIELDS};

/// Most events, log entries or actions one incident holds.
pub const MAX_ITEMS: usize = 10_000;

wire_enum!(
    /// Whether the incident is known to have happened.
    Actuality {
        Actual => "actual",
        Suspected => "suspected",
    }
);

wire_enum!(
    /// Perpetrator type (Annex D).
    PerpetratorKind {
        Person => "person",
        Organization => "organization",
        Group => "group",
        Accident => "accident",
        None => "none",
    }
);

wire_enum!(
    /// Actual or perceived motivation (Annex D).
    MotivationKind {
        Financial => "financial",
        Hacking => "hacking",
        Political => "political",
        Revenge => "revenge",
        Other => "other",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Perpetrator {
    pub kind: PerpetratorKind,
    #[serde(default)]
    pub description: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Motivation {
    pub kind: MotivationKind,
    #[serde(default)]
    pub description: Option<Text>,
}

/// The ISIRT's confirmation of an incident from escalated events.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentConfirmation {
    /// Escalated events that make up the incident.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub events: Vec<EventNumber>,
    pub title: Text,
    /// Defaults to the first event's description.
    #[serde(default)]
    pub description: Option<Text>,
    pub category: Category,
    /// RSIT class and type; defaults to the first event's assessment.
    #[serde(default)]
    pub rsit: Option<Rsit>,
    pub severity: SeverityFactors,
    #[serde(default)]
    pub severity_override: Option<SeverityOverride>,
    pub effort: Effort,
    /// User name of the incident coordinator.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9][a-z0-9._-]{0,63}$"))]
    pub coordinator: String,
    #[serde(default)]
    pub actuality: Option<Actuality>,
    /// When the organization became aware; defaults to the confirmation time.
    #[serde(default)]
    pub aware_at: Option<Timestamp>,
    /// Defaults to the most restrictive marking of the events.
    #[serde(default)]
    pub tlp: Option<Tlp>,
    /// PAP marking; defaults to the most restrictive PAP of the events.
    #[serde(default)]
    pub pap: Option<Pap>,
    /// Playbooks to apply on confirmation (their latest versions): the
    /// actions they plan are due from the confirmation.
    #[serde(default)]
    pub playbooks: Vec<crate::PlaybookId>,
}

impl IncidentConfirmation {
    /// Checks the shape of the request; the events themselves are checked on confirmation.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut p = Problems::default();
        if self.events.is_empty() {
            p.push("events", "must name at least one escalated event");
        }
        for (i, n) in self.events.iter().enumerate() {
            if self.events[..i].contains(n) {
                p.push(format!("events[{i}]"), format!("{n} is listed twice"));
            }
        }
        for (i, id) in self.playbooks.iter().enumerate() {
            if self.playbooks[..i].contains(id) {
                p.push(format!("playbooks[{i}]"), format!("{id} is listed twice"));
            }
        }
        p.take(
            "coordinator",
            crate::role::parse_user_name(&self.coordinator),
        );
        p.into_result()
    }
}

wire_enum!(
    /// Kinds of log entry.
    LogKind {
        Action => "action",
        Decision => "decision",
        Note => "note",
        Transition => "transition",
    }
);

/// The kinds of log entry a request may write (the document's view of
/// [`LogKind`] on input).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(
    dead_code,
    reason = "describes NewLogEntry.kind in the OpenAPI document"
)]
enum NewLogKind {
    Action,
    Decision,
    Note,
}

/// One dated line of the incident management log: who, when, what, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogEntry {
    pub id: u32,
    pub kind: LogKind,
    /// What was done or decided.
    pub action: Text,
    pub decision: Option<Text>,
    pub reason: Option<Text>,
    pub tools: Vec<Text>,
    /// When it happened (may be earlier than when it was recorded).
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub actor: String,
    /// The section of a plan or procedure the entry follows or departs from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cites: Option<crate::SectionRef>,
}

/// A log entry as submitted.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewLogEntry {
    /// Defaults to `action`; `transition` entries are written by the transitions endpoint.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<NewLogKind>))]
    pub kind: Option<LogKind>,
    pub action: Text,
    #[serde(default)]
    pub decision: Option<Text>,
    #[serde(default)]
    pub reason: Option<Text>,
    #[serde(default)]
    pub tools: Vec<Text>,
    #[serde(default)]
    pub occurred_at: Option<Timestamp>,
    /// A section of a plan or procedure the entry follows or departs from:
    /// `incident-plan#containment` (it must exist).
    #[serde(default)]
    pub cites: Option<crate::SectionRef>,
}

/// A move through the incident lifecycle.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub to: IncidentStatus,
    pub reason: Text,
    /// Required to close.
    #[serde(default)]
    pub resolution: Option<Text>,
    /// When containment was achieved; defaults to now on entering recovery.
    #[serde(default)]
    pub contained_at: Option<Timestamp>,
    /// When the incident ended; defaults to now on closing.
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
    #[serde(default)]
    pub impact_ended_at: Option<Timestamp>,
}

impl TransitionRequest {
    /// The action the role table must allow for this move from `from`.
    pub fn required_action(&self, from: IncidentStatus) -> Action {
        if !from.is_open() && self.to == IncidentStatus::Responding {
            Action::ReopenIncident
        } else if self.to == IncidentStatus::Reviewed {
            Action::MarkReviewed
        } else {
            Action::TransitionIncident
        }
    }
}

/// An information security incident record (Annex D.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    pub number: IncidentNumber,
    pub status: IncidentStatus,
    pub title: Text,
    pub description: Text,
    pub how: Option<Text>,
    pub why: Option<Text>,
    pub category: Category,
    pub severity: Severity,
    pub effort: Effort,
    pub priority: Priority,
    /// The classification scale the incident was classified under.
    pub scale: String,
    pub coordinator: String,
    pub confirmed_by: String,
    pub actuality: Actuality,
    pub tlp: Tlp,
    /// PAP marking; absent on incidents confirmed before PAP was recorded (read as AMBER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pap: Option<Pap>,
    pub events: Vec<EventNumber>,
    pub related_incidents: Vec<IncidentNumber>,
    pub assets: Vec<Text>,
    pub impact: Option<Text>,
    pub occurred_at: Option<Timestamp>,
    pub discovered_at: Option<Timestamp>,
    pub reported_at: Timestamp,
    pub aware_at: Timestamp,
    pub confirmed_at: Timestamp,
    pub contained_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub impact_ended_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub resolution: Option<Text>,
    pub perpetrator: Option<Perpetrator>,
    pub motivation: Option<Motivation>,
    /// Free-text notes on the recovery cost (the only form before typed amounts).
    pub recovery_cost: Option<Text>,
    pub conclusion: Option<Conclusion>,
    // The fields below came after the first journals were written: left out
    // while empty, so a record confirmed earlier serializes as it was hashed.
    /// RSIT class and type, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsit: Option<Rsit>,
    /// Impact on confidentiality, integrity and availability, with values and costs.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "CiaImpact::is_empty"
    )]
    pub cia_impact: CiaImpact,
    /// The total recovery cost as an amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_cost_total: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investigation: Option<Investigation>,
    /// Individuals and entities notified of the incident.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub notified: Vec<Notification>,
    pub log: Vec<LogEntry>,
    pub actions: Vec<ResponseAction>,
    pub review: Option<Review>,
    /// Need-to-know: when not empty, only these users may see the incident at all.
    #[serde(default)]
    pub restricted_to: Vec<String>,
    /// Published on Rampart's MISP feed for this audience (and the
    /// narrower ones); absent when not published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Tlp>,
    pub updated_at: Timestamp,
    /// Observables recorded on the incident, removed ones included (marked
    /// `removed`); absent while there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observables: Vec<crate::IncidentObservable>,
    /// The incident this one was merged into; set, the incident is closed
    /// and no longer changes. Absent while not merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<IncidentNumber>,
    /// Notification obligations: the regimes that apply, the anchor moments
    /// and the reports sent. Absent while there are none.
    #[serde(
        default,
        skip_serializing_if = "crate::regulatory::Obligations::is_empty"
    )]
    pub obligations: crate::regulatory::Obligations,
    /// Rungs of the escalation ladder its deadlines reached, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<crate::Escalation>,
    /// The communications log: what was said, to whom, approved by whom,
    /// and when it went out. Absent while there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub communications: Vec<Communication>,
    /// The playbooks applied, with the version and the actions each planned.
    /// Absent while there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub playbooks: Vec<crate::AppliedPlaybook>,
    /// The exercise the incident is part of: confirmed from its injects'
    /// events. None for a real incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<crate::ExerciseId>,
}

/// The exercise every event of a confirmation is part of, or none when all
/// are real; refused when they mix.
fn same_exercise(events: &[Event]) -> Result<Option<crate::ExerciseId>, DomainError> {
    let first = events.first().and_then(|e| e.exercise.clone());
    if events.iter().any(|e| e.exercise != first) {
        return Err(DomainError::field(
            "events",
            "mixes events of an exercise with others: an exercise's incidents are made of its own events only",
        ));
    }
    Ok(first)
}

impl Incident {
    /// The PAP marking in force: the one recorded, AMBER where none was.
    pub fn pap(&self) -> Pap {
        self.pap.unwrap_or_default()
    }

    /// Whether the incident is part of an exercise.
    pub fn is_exercise(&self) -> bool {
        self.exercise.is_some()
    }

    /// Records that the incident is classified under `scale`: its key, and
    /// the name that version gives the severity class.
    pub fn classify_under(&mut self, scale: &crate::ScaleVersion) {
        self.scale.clone_from(&scale.key);
        self.severity.label = scale.grade_name(self.severity.class).to_owned();
    }

    /// Confirms an incident from escalated events, linking each of them.
    pub fn confirm(
        number: IncidentNumber,
        input: IncidentConfirmation,
        events: &mut [Event],
        by: &Actor,
        now: Timestamp,
    ) -> Result<Self, DomainError> {
        input.validate()?;
        let exercise = same_exercise(events)?;
        for event in events.iter_mut() {
            event.link(number)?;
        }
        let first = events.first().ok_or_else(|| {
            DomainError::field("events", "must name at least one escalated event")
        })?;
        let mut assets: Vec<Text> = Vec::new();
        for a in events.iter().flat_map(|e| e.assets.iter()) {
            if !assets.contains(a) {
                assets.push(a.clone());
            }
        }
        let severity = Severity::new(input.severity, input.severity_override);
        let mut incident = Self {
            number,
            status: IncidentStatus::Confirmed,
            description: input
                .description
                .unwrap_or_else(|| first.description.clone()),
            how: first.how.clone(),
            why: first.why.clone(),
            title: input.title,
            category: input.category,
            priority: Priority::new(severity.class, input.effort),
            severity,
            effort: input.effort,
            scale: SCALE_VERSION.to_owned(),
            coordinator: input.coordinator,
            confirmed_by: by.name.clone(),
            actuality: input.actuality.unwrap_or(Actuality::Actual),
            tlp: input
                .tlp
                .unwrap_or_else(|| events.iter().map(|e| e.tlp).max().unwrap_or_default()),
            pap: Some(
                input
                    .pap
                    .unwrap_or_else(|| events.iter().map(|e| e.pap()).max().unwrap_or_default()),
            ),
            events: events.iter().map(|e| e.number).collect(),
            related_incidents: Vec::new(),
            assets,
            impact: first.impact.clone(),
            occurred_at: events.iter().filter_map(|e| e.occurred_at).min(),
            discovered_at: events.iter().filter_map(|e| e.discovered_at).min(),
            reported_at: events.iter().map(|e| e.reported_at).min().unwrap_or(now),
            aware_at: input.aware_at.unwrap_or(now),
            confirmed_at: now,
            contained_at: None,
            ended_at: None,
            impact_ended_at: None,
            closed_at: None,
            resolution: None,
            perpetrator: None,
            motivation: None,
            recovery_cost: None,
            conclusion: None,
            rsit: input
                .rsit
                .or_else(|| first.assessment.as_ref().and_then(|a| a.rsit.clone())),
            cia_impact: CiaImpact::default(),
            recovery_cost_total: None,
            investigation: None,
            notified: Vec::new(),
            log: Vec::new(),
            actions: Vec::new(),
            review: None,
            restricted_to: Vec::new(),
            published: None,
            updated_at: now,
            observables: Vec::new(),
            merged_into: None,
            obligations: crate::regulatory::Obligations::default(),
            escalations: Vec::new(),
            communications: Vec::new(),
            playbooks: Vec::new(),
            exercise,
        };
        let list = incident
            .events
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        incident.push_log(
            LogKind::Decision,
            format!("confirmed as an incident from {list}"),
            None,
            by,
            now,
            now,
        );
        Ok(incident)
    }

    fn entity(&self) -> String {
        format!("incident {}", self.number)
    }

    pub(crate) fn push_log(
        &mut self,
        kind: LogKind,
        action: String,
        reason: Option<Text>,
        by: &Actor,
        occurred_at: Timestamp,
        now: Timestamp,
    ) {
        let id = self.log.len() as u32 + 1;
        let action = Text::lossy(&action);
        self.log.push(LogEntry {
            id,
            kind,
            action,
            decision: None,
            reason,
            tools: Vec::new(),
            occurred_at,
            recorded_at: now,
            actor: by.name.clone(),
            cites: None,
        });
        self.updated_at = now;
    }

    fn ensure_capacity(len: usize, field: &str) -> Result<(), DomainError> {
        if len >= MAX_ITEMS {
            Err(DomainError::field(
                field,
                format!("an incident holds at most {MAX_ITEMS} of these"),
            ))
        } else {
            Ok(())
        }
    }

    /// Links another escalated event to this open incident.
    pub fn link_event(
        &mut self,
        event: &mut Event,
        by: &Actor,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        if !self.status.is_open() {
            return Err(DomainError::Conflict(format!(
                "{} is {}; reopen it (to responding) before linking events",
                self.number, self.status
            )));
        }
        Self::ensure_capacity(self.events.len(), "event")?;
        if event.exercise != self.exercise {
            return Err(DomainError::Conflict(format!(
                "{} and {} are not of the same exercise: an exercise's events and incidents stay apart from real ones",
                event.number, self.number
            )));
        }
        event.link(self.number)?;
        self.events.push(event.number);
        for a in &event.assets {
            if !self.assets.contains(a) {
                self.assets.push(a.clone());
            }
        }
        self.push_log(
            LogKind::Decision,
            format!("linked {}", event.number),
            None,
            by,
            now,
            now,
        );
        Ok(())
    }

    /// Moves through the lifecycle. Returns the status left.
    pub fn transition(
        &mut self,
        req: TransitionRequest,
        by: &Actor,
        now: Timestamp,
    ) -> Result<IncidentStatus, DomainError> {
        let from = self.status;
        from.check(req.to, &self.entity())?;
        let mut p = Problems::default();
        match req.to {
            IncidentStatus::Closed if req.resolution.is_none() && self.resolution.is_none() => {
                p.push("resolution", "is required to close an incident");
            }
            IncidentStatus::Reviewed if self.severity.significant && self.review.is_none() => {
                p.push(
                    "review",
                    format!("a lessons-learned review must be recorded before a class {} incident is marked reviewed", self.severity.class),
                );
            }
            _ => {}
        }
        for (field, at) in [
            ("contained_at", req.contained_at),
            ("ended_at", req.ended_at),
            ("impact_ended_at", req.impact_ended_at),
        ] {
            if at.is_some_and(|t| t > now) {
                p.push(field, "must not be in the future");
            }
        }
        p.into_result()?;
        match req.to {
            IncidentStatus::Recovering => {
                self.contained_at = req.contained_at.or(self.contained_at).or(Some(now));
            }
            IncidentStatus::Closed => {
                self.resolution = req.resolution.or(self.resolution.take());
                self.contained_at = req.contained_at.or(self.contained_at).or(Some(now));
                self.ended_at = req.ended_at.or(self.ended_at).or(Some(now));
                self.closed_at = Some(now);
            }
            IncidentStatus::Responding if !from.is_open() => {
                self.closed_at = None;
            }
            _ => {}
        }
        if let Some(t) = req.impact_ended_at {
            self.impact_ended_at = Some(t);
        }
        self.status = req.to;
        self.push_log(
            LogKind::Transition,
            format!("status {from} -> {}", req.to),
            Some(req.reason),
            by,
            now,
            now,
        );
        Ok(from)
    }

    /// Appends to the incident management log.
    pub fn add_log(
        &mut self,
        entry: NewLogEntry,
        by: &Actor,
        now: Timestamp,
    ) -> Result<&LogEntry, DomainError> {
        Self::ensure_capacity(self.log.len(), "log")?;
        if entry.occurred_at.is_some_and(|t| t > now) {
            return Err(DomainError::field(
                "occurred_at",
                "must not be in the future",
            ));
        }
        if entry.kind == Some(LogKind::Transition) {
            return Err(DomainError::field(
                "kind",
                "transition entries are written by the transitions endpoint",
            ));
        }
        let id = self.log.len() as u32 + 1;
        self.log.push(LogEntry {
            id,
            kind: entry.kind.unwrap_or(LogKind::Action),
            action: entry.action,
            decision: entry.decision,
            reason: entry.reason,
            tools: entry.tools,
            occurred_at: entry.occurred_at.unwrap_or(now),
            recorded_at: now,
            actor: by.name.clone(),
            cites: entry.cites,
        });
        self.updated_at = now;
        self.log
            .last()
            .ok_or_else(|| DomainError::NotFound("log entry".into()))
    }

    /// Records (or supersedes) the lessons-learned review.
    pub fn record_review(
        &mut self,
        input: ReviewInput,
        by: &Actor,
        now: Timestamp,
    ) -> Result<&Review, DomainError> {
        if !matches!(
            self.status,
            IncidentStatus::Recovering | IncidentStatus::Closed | IncidentStatus::Reviewed
        ) {
            return Err(DomainError::IllegalTransition {
                entity: self.entity(),
                current: self.status.to_string(),
                requested: "record a lessons-learned review".into(),
                allowed: vec!["recovering".into(), "closed".into(), "reviewed".into()],
            });
        }
        let review = Review::next(self.review.as_ref(), input, Some(self.number), by, now)?;
        let version = review.version;
        self.review = Some(review);
        self.push_log(
            LogKind::Note,
            format!("lessons-learned review recorded (version {version})"),
            None,
            by,
            now,
            now,
        );
        self.review
            .as_ref()
            .ok_or_else(|| DomainError::NotFound("review".into()))
    }

    /// Need-to-know: whether `actor` may see this incident at all. A
    /// restricted incident is hidden from everyone not named, whatever their role.
    pub fn readable_by(&self, actor: &Actor) -> bool {
        actor.may(Action::ViewIncidents)
            && (self.restricted_to.is_empty() || self.restricted_to.contains(&actor.name))
    }

    /// Restricts the incident to the named users, or lifts the restriction
    /// with an empty list. Whoever restricts must stay on the list.
    pub fn restrict(
        &mut self,
        users: Vec<String>,
        by: &Actor,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        let mut names = Vec::with_capacity(users.len());
        for (i, raw) in users.iter().enumerate() {
            let name = crate::parse_user_name(raw.trim())
                .map_err(|m| DomainError::field(format!("users[{i}]"), m))?;
            names.push(name);
        }
        names.sort();
        names.dedup();
        if !names.is_empty() && !names.contains(&by.name) {
            return Err(DomainError::field(
                "users",
                "must include yourself, or you could no longer see the incident",
            ));
        }
        self.restricted_to = names;
        self.updated_at = now;
        Ok(())
    }

    /// Publishes the incident on the MISP feed of `audience` (its own
    /// marking or a narrower one, never RED), or withdraws it (`None`).
    /// Restricted and exercise incidents are not published.
    pub fn publish(&mut self, audience: Option<Tlp>, now: Timestamp) -> Result<(), DomainError> {
        if let Some(a) = audience {
            if a == Tlp::Red {
                return Err(DomainError::field(
                    "audience",
                    "TLP:RED goes to named people only; it is never published",
                ));
            }
            if a.rank() < self.tlp.rank() {
                return Err(DomainError::field(
                    "audience",
                    format!(
                        "the incident is marked TLP:{}; publish it for that audience or a narrower one",
                        self.tlp
                    ),
                ));
            }
            if !self.restricted_to.is_empty() {
                return Err(DomainError::Conflict(format!(
                    "{} is restricted to named people; lift the restriction before publishing it",
                    self.number
                )));
            }
            if self.exercise.is_some() {
                return Err(DomainError::Conflict(format!(
                    "{} is part of an exercise; exercise incidents are not published",
                    self.number
                )));
            }
        }
        if self.published == audience {
            return Err(DomainError::field(
                "audience",
                "changes nothing; the incident is published so already",
            ));
        }
        self.published = audience;
        self.updated_at = now;
        Ok(())
    }

    /// Words the text filter searches.
    pub fn search_text(&self) -> String {
        let numbers: Vec<String> = std::iter::once(self.number.to_string())
            .chain(self.events.iter().map(ToString::to_string))
            .collect();
        crate::text::search_words(
            [self.title.as_str(), self.description.as_str()]
                .into_iter()
                .chain(numbers.iter().map(String::as_str))
                .chain(self.assets.iter().map(Text::as_str))
                .chain(self.active_observables().map(|o| o.value.as_str())),
        )
    }
}

#[cfg(test)]
mod pap_tests {
    use super::*;
    use crate::{EventReport, EventStatus, Role};

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-22T12:00:00Z").unwrap()
    }

    fn incident(paps: &[Option<&str>], chosen: Option<Pap>) -> Incident {
        let ian = Actor::new("ian", vec![Role::IsirtMember]);
        let mut events: Vec<Event> = paps
            .iter()
            .enumerate()
            .map(|(i, pap)| {
                let report: EventReport = serde_json::from_value(
                    serde_json::json!({"title": "odd login", "description": "x", "pap": pap}),
                )
                .unwrap();
                let n = EventNumber::new(2026, u32::try_from(i + 1).unwrap()).unwrap();
                let mut e = Event::report(n, report, &ian, now());
                e.status = EventStatus::Escalated;
                e
            })
            .collect();
        let mut input: IncidentConfirmation = serde_json::from_value(serde_json::json!({
            "events": events.iter().map(|e| e.number).collect::<Vec<_>>(),
            "title": "t", "category": "malware",
            "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
            "effort": "low", "coordinator": "ian"}))
        .unwrap();
        input.pap = chosen;
        Incident::confirm(
            IncidentNumber::new(2026, 1).unwrap(),
            input,
            &mut events,
            &ian,
            now(),
        )
        .unwrap()
    }

    #[test]
    fn confirmation_takes_the_strictest_pap_of_the_events_unless_one_is_chosen() {
        assert_eq!(incident(&[None], None).pap, Some(Pap::Amber));
        assert_eq!(
            incident(&[Some("GREEN"), Some("RED")], None).pap,
            Some(Pap::Red)
        );
        assert_eq!(
            incident(&[Some("RED")], Some(Pap::Clear)).pap,
            Some(Pap::Clear)
        );
    }

    #[test]
    fn a_patch_of_an_unmarked_incident_leaves_it_unmarked_unless_it_names_a_pap() {
        let ian = Actor::new("ian", vec![Role::IsirtMember]);
        let mut old = incident(&[None], None);
        old.pap = None;
        let title = IncidentPatch {
            title: Some(Text::new("new title").unwrap()),
            ..Default::default()
        };
        assert_eq!(old.apply_patch(title, &ian, now()).unwrap(), ["title"]);
        assert_eq!((old.pap, old.pap()), (None, Pap::Amber));
        let pap = IncidentPatch {
            pap: Some(Pap::Amber),
            ..Default::default()
        };
        assert_eq!(old.apply_patch(pap, &ian, now()).unwrap(), ["pap"]);
        assert_eq!(old.pap, Some(Pap::Amber));
    }
}
