//! Information security incidents: confirmation from events, classification,
//! the response lifecycle, the incident management log, response actions and
//! the lessons-learned review.

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
}

wire_enum!(
    /// Progress of a response action.
    ActionStatus {
        Planned => "planned",
        InProgress => "in_progress",
        Done => "done",
        Cancelled => "cancelled",
    }
);

impl ActionStatus {
    /// The statuses an action may move to from this one.
    pub fn targets(self) -> &'static [ActionStatus] {
        use ActionStatus::*;
        match self {
            Planned => &[InProgress, Done, Cancelled],
            InProgress => &[Done, Cancelled],
            Done | Cancelled => &[],
        }
    }
}

/// Who approved a disruptive action (e.g. the system owner for taking a server offline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    pub approved_by: Text,
    pub recorded_by: String,
    /// When the approval was recorded.
    pub at: Timestamp,
    /// When it was given, if earlier than recorded (a call at 09:10 recorded at 09:40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<Timestamp>,
    /// Why it was approved, or on what condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
}

/// A response action: what, who, by when, and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseAction {
    pub id: u32,
    pub what: Text,
    /// Who carries it out (a user name or any named person).
    pub owner: Text,
    pub due: Option<Timestamp>,
    pub status: ActionStatus,
    pub requires_approval: bool,
    pub approval: Option<Approval>,
    pub outcome: Option<Text>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A response action as submitted.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAction {
    pub what: Text,
    /// Who carries it out (a user name or any named person).
    pub owner: Text,
    #[serde(default)]
    pub due: Option<Timestamp>,
    /// Disruptive containment needs an approval recorded before it starts.
    #[serde(default)]
    pub requires_approval: bool,
}

/// A change to a response action.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionUpdate {
    #[serde(default)]
    pub status: Option<ActionStatus>,
    #[serde(default)]
    pub outcome: Option<Text>,
    #[serde(default)]
    pub owner: Option<Text>,
    #[serde(default)]
    pub due: Option<Timestamp>,
    /// Name of the person (e.g. the system owner) who approved the action.
    #[serde(default)]
    pub approved_by: Option<Text>,
    /// When they approved it (default: now); only with `approved_by`.
    #[serde(default)]
    pub approved_at: Option<Timestamp>,
    /// Why they approved it, or on what condition; only with `approved_by`.
    #[serde(default)]
    pub approval_reason: Option<Text>,
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

/// Fields the ISIRT may change after confirmation.
///
/// A field left out stays as it is. An optional field sent as `null` is
/// cleared (`severity_override: null` removes an override, `conclusion: null`
/// removes the conclusion); `cia_impact: null` clears all three aspects. A
/// list is replaced as a whole, so `[]` empties it. `null` for a field the
/// record always has (`title`, `reported_at`, …) leaves it as it is.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    pub title: Option<Text>,
    pub description: Option<Text>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub how: Option<Option<Text>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub why: Option<Option<Text>>,
    pub category: Option<Category>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Rsit>))]
    pub rsit: Option<Option<Rsit>>,
    pub severity: Option<SeverityFactors>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<SeverityOverride>))]
    pub severity_override: Option<Option<SeverityOverride>>,
    pub effort: Option<Effort>,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9][a-z0-9._-]{0,63}$"))]
    pub coordinator: Option<String>,
    pub actuality: Option<Actuality>,
    pub tlp: Option<Tlp>,
    /// The PAP marking; the change is journaled before and after like any other.
    pub pap: Option<Pap>,
    pub assets: Option<Vec<Text>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub impact: Option<Option<Text>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<CiaImpact>))]
    pub cia_impact: Option<Option<CiaImpact>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub occurred_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub discovered_at: Option<Option<Timestamp>>,
    /// When the first event was reported; not later than now, nor earlier
    /// than the incident occurred or was discovered.
    pub reported_at: Option<Timestamp>,
    pub aware_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub contained_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub ended_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub impact_ended_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Perpetrator>))]
    pub perpetrator: Option<Option<Perpetrator>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Motivation>))]
    pub motivation: Option<Option<Motivation>>,
    /// Free-text notes on the recovery cost (the only form before typed amounts).
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub recovery_cost: Option<Option<Text>>,
    /// The total recovery cost as an amount.
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Money>))]
    pub recovery_cost_total: Option<Option<Money>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Investigation>))]
    pub investigation: Option<Option<Investigation>>,
    /// `{"significant": true, "why": "…"}`; plain text is still taken, with
    /// `significant` left unstated.
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Conclusion>))]
    pub conclusion: Option<Option<Conclusion>>,
    /// Other incidents this one is related to; each must exist and be
    /// visible to the requester.
    pub related_incidents: Option<Vec<IncidentNumber>>,
    /// Individuals and entities notified, replaced as a whole.
    pub notified: Option<Vec<Notification>>,
}

/// A field that a journal's `after` may give as `null` when it was emptied.
fn null_as_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl IncidentPatch {
    /// Actions the role table must allow for this patch.
    pub fn required_actions(&self) -> Vec<Action> {
        let mut actions = vec![Action::UpdateIncident];
        if self.coordinator.is_some() {
            actions.push(Action::AssignCoordinator);
        }
        if self.severity_override.is_some() {
            actions.push(Action::OverrideSeverity);
        }
        actions
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
    pub updated_at: Timestamp,
    /// Observables recorded on the incident, removed ones included (marked
    /// `removed`); absent while there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observables: Vec<crate::IncidentObservable>,
    /// The incident this one was merged into; set, the incident is closed
    /// and no longer changes. Absent while not merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<IncidentNumber>,
}

impl Incident {
    /// The PAP marking in force: the one recorded, AMBER where none was.
    pub fn pap(&self) -> Pap {
        self.pap.unwrap_or_default()
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
            updated_at: now,
            observables: Vec::new(),
            merged_into: None,
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

    /// Applies a patch; returns the names of the fields that changed.
    ///
    /// Times must not be in the future, and must keep their order where the
    /// patch touches one of a pair: the incident occurred before it was
    /// discovered, reported or the organization became aware of it, was
    /// discovered before it was reported, and was contained, ended and its
    /// impact ended after it occurred; an investigation completes after it
    /// starts.
    pub fn apply_patch(
        &mut self,
        patch: IncidentPatch,
        by: &Actor,
        now: Timestamp,
    ) -> Result<Vec<&'static str>, DomainError> {
        let mut p = Problems::default();
        if let Some(c) = &patch.coordinator {
            p.take("coordinator", crate::role::parse_user_name(c));
        }
        if let Some(list) = &patch.related_incidents {
            if list.contains(&self.number) {
                p.push("related_incidents", "must not contain the incident itself");
            }
            for (i, n) in list.iter().enumerate() {
                if list[..i].contains(n) {
                    p.push(
                        format!("related_incidents[{i}]"),
                        format!("{n} is listed twice"),
                    );
                }
            }
            if list.len() > MAX_PEOPLE {
                p.push(
                    "related_incidents",
                    format!("an incident names at most {MAX_PEOPLE} related incidents"),
                );
            }
        }
        if patch
            .notified
            .as_ref()
            .is_some_and(|l| l.len() > MAX_PEOPLE)
        {
            p.push(
                "notified",
                format!("an incident lists at most {MAX_PEOPLE} notified parties"),
            );
        }
        if let Some(Some(inv)) = &patch.investigation
            && inv.investigators.len() > MAX_PEOPLE
        {
            p.push(
                "investigation.investigators",
                format!("at most {MAX_PEOPLE} investigators"),
            );
        }
        // Times sent, by field name: none may be in the future.
        let mut sent: Vec<(String, Timestamp)> = Vec::new();
        let mut put = |name: &str, t: Option<Timestamp>| {
            if let Some(t) = t {
                sent.push((name.to_owned(), t));
            }
        };
        put("occurred_at", patch.occurred_at.flatten());
        put("discovered_at", patch.discovered_at.flatten());
        put("reported_at", patch.reported_at);
        put("aware_at", patch.aware_at);
        put("contained_at", patch.contained_at.flatten());
        put("ended_at", patch.ended_at.flatten());
        put("impact_ended_at", patch.impact_ended_at.flatten());
        if let Some(Some(inv)) = &patch.investigation {
            put("investigation.started_at", inv.started_at);
            put("investigation.completed_at", inv.completed_at);
        }
        for (i, n) in patch.notified.iter().flatten().enumerate() {
            put(&format!("notified[{i}].at"), n.at);
        }
        for (field, t) in &sent {
            if *t > now {
                p.push(field.clone(), "must not be in the future");
            }
        }
        p.into_result()?;
        let before = self.clone();
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = patch.$field { self.$field = v; })* };
        }
        set!(
            title,
            description,
            category,
            effort,
            coordinator,
            actuality,
            tlp,
            assets,
            reported_at,
            aware_at,
            related_incidents,
            notified,
            how,
            why,
            rsit,
            impact,
            occurred_at,
            discovered_at,
            contained_at,
            ended_at,
            impact_ended_at,
            perpetrator,
            motivation,
            recovery_cost,
            recovery_cost_total,
            conclusion
        );
        if let Some(pap) = patch.pap {
            self.pap = Some(pap);
        }
        if let Some(cia) = patch.cia_impact {
            self.cia_impact = cia.unwrap_or_default().normalized();
        }
        if let Some(inv) = patch.investigation {
            self.investigation = inv.filter(|i| !i.is_empty());
        }
        let factors = patch.severity.unwrap_or(self.severity.factors);
        let override_ = patch
            .severity_override
            .unwrap_or_else(|| self.severity.override_.clone());
        self.severity = Severity::new(factors, override_);
        self.priority = Priority::new(self.severity.class, self.effort);
        let changed = changed_fields(&before, self);
        if changed.is_empty() {
            *self = before;
            return Err(DomainError::field(
                "body",
                "changes nothing; send at least one field with a new value",
            ));
        }
        if let Err(e) = self.check_order(&changed) {
            *self = before;
            return Err(e);
        }
        self.push_log(
            LogKind::Note,
            format!("updated {}", changed.join(", ")),
            None,
            by,
            now,
            now,
        );
        Ok(changed)
    }

    /// The order of the record's times, for the pairs a change touched.
    fn check_order(&self, changed: &[&str]) -> Result<(), DomainError> {
        let occurred = ("occurred_at", self.occurred_at);
        let discovered = ("discovered_at", self.discovered_at);
        let reported = ("reported_at", Some(self.reported_at));
        let pairs = [
            (occurred, discovered),
            (occurred, reported),
            (discovered, reported),
            (occurred, ("aware_at", Some(self.aware_at))),
            (occurred, ("contained_at", self.contained_at)),
            (occurred, ("ended_at", self.ended_at)),
            (occurred, ("impact_ended_at", self.impact_ended_at)),
        ];
        let mut p = Problems::default();
        for ((first, a), (then, b)) in pairs {
            let (Some(a), Some(b)) = (a, b) else { continue };
            if a <= b {
                continue;
            }
            if changed.contains(&then) {
                p.push(then, format!("must not be earlier than {}", words(first)));
            } else if changed.contains(&first) {
                p.push(first, format!("must not be later than {}", words(then)));
            }
        }
        if changed.contains(&"investigation")
            && let Some(inv) = &self.investigation
            && let (Some(a), Some(b)) = (inv.started_at, inv.completed_at)
            && a > b
        {
            p.push(
                "investigation.completed_at",
                "must not be earlier than when the investigation started",
            );
        }
        p.into_result()
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
        });
        self.updated_at = now;
        self.log
            .last()
            .ok_or_else(|| DomainError::NotFound("log entry".into()))
    }

    /// Plans a response action.
    pub fn add_action(
        &mut self,
        input: NewAction,
        by: &Actor,
        now: Timestamp,
    ) -> Result<&ResponseAction, DomainError> {
        Self::ensure_capacity(self.actions.len(), "actions")?;
        let owner = input.owner;
        let id = self.actions.len() as u32 + 1;
        self.actions.push(ResponseAction {
            id,
            what: input.what,
            owner,
            due: input.due,
            status: ActionStatus::Planned,
            requires_approval: input.requires_approval,
            approval: None,
            outcome: None,
            created_by: by.name.clone(),
            created_at: now,
            updated_at: now,
        });
        self.updated_at = now;
        self.actions
            .last()
            .ok_or_else(|| DomainError::NotFound("action".into()))
    }

    /// Changes a response action.
    pub fn update_action(
        &mut self,
        id: u32,
        update: ActionUpdate,
        by: &Actor,
        now: Timestamp,
    ) -> Result<&ResponseAction, DomainError> {
        let number = self.number;
        let action = self
            .actions
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| DomainError::NotFound(format!("action {id} of {number}")))?;
        if update.status.is_none()
            && update.outcome.is_none()
            && update.owner.is_none()
            && update.due.is_none()
            && update.approved_by.is_none()
            && update.approved_at.is_none()
            && update.approval_reason.is_none()
        {
            return Err(DomainError::field(
                "body",
                "changes nothing; send at least one field",
            ));
        }
        if update.approved_by.is_none() {
            for (field, given) in [
                ("approved_at", update.approved_at.is_some()),
                ("approval_reason", update.approval_reason.is_some()),
            ] {
                if given {
                    return Err(DomainError::field(
                        field,
                        "goes with approved_by: who approved the action?",
                    ));
                }
            }
        }
        if update.approved_at.is_some_and(|t| t > now) {
            return Err(DomainError::field(
                "approved_at",
                "must not be in the future",
            ));
        }
        if update.approved_by.is_some() && !action.requires_approval {
            return Err(DomainError::field(
                "approved_by",
                "this action was not planned as needing an approval",
            ));
        }
        let done = update.status == Some(ActionStatus::Done) && action.status != ActionStatus::Done;
        if done && update.outcome.is_none() && action.outcome.is_none() {
            return Err(DomainError::field(
                "outcome",
                "say how it went when marking the action done",
            ));
        }
        if let Some(owner) = update.owner.clone() {
            action.owner = owner;
        }
        if let Some(approved_by) = update.approved_by {
            action.approval = Some(Approval {
                approved_by,
                recorded_by: by.name.clone(),
                at: now,
                approved_at: update.approved_at,
                reason: update.approval_reason,
            });
        }
        if let Some(to) = update.status {
            if to != action.status && !action.status.targets().contains(&to) {
                return Err(DomainError::IllegalTransition {
                    entity: format!("action {id} of {number}"),
                    current: action.status.to_string(),
                    requested: to.to_string(),
                    allowed: action
                        .status
                        .targets()
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                });
            }
            if matches!(to, ActionStatus::InProgress | ActionStatus::Done)
                && action.requires_approval
                && action.approval.is_none()
            {
                return Err(DomainError::field(
                    "approved_by",
                    "this disruptive action needs its approval recorded before it starts",
                ));
            }
            action.status = to;
        }
        if let Some(outcome) = update.outcome {
            action.outcome = Some(outcome);
        }
        if let Some(due) = update.due {
            action.due = Some(due);
        }
        action.updated_at = now;
        self.updated_at = now;
        self.actions
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| DomainError::NotFound("action".into()))
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
        if input.lessons.is_empty() {
            return Err(DomainError::field(
                "lessons",
                "must list at least one lesson",
            ));
        }
        let version = self.review.as_ref().map_or(1, |r| r.version + 1);
        self.review = Some(Review {
            version,
            held_at: input.held_at,
            what_worked: input.what_worked,
            detection: input.detection,
            response: input.response,
            recovery: input.recovery,
            communication_effective: input.communication_effective,
            communication_notes: input.communication_notes,
            lessons: input.lessons,
            improvements: input.improvements,
            recorded_by: by.name.clone(),
            recorded_at: now,
        });
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

/// The fields a patch may change, in the order an `updated …` log line names them.
pub const PATCH_FIELDS: &[&str] = &[
    "title",
    "description",
    "how",
    "why",
    "category",
    "rsit",
    "severity",
    "effort",
    "coordinator",
    "actuality",
    "tlp",
    "pap",
    "assets",
    "impact",
    "cia_impact",
    "occurred_at",
    "discovered_at",
    "reported_at",
    "aware_at",
    "contained_at",
    "ended_at",
    "impact_ended_at",
    "perpetrator",
    "motivation",
    "recovery_cost",
    "recovery_cost_total",
    "investigation",
    "conclusion",
    "related_incidents",
    "notified",
];

/// A time field as a sentence names it.
fn words(field: &str) -> &'static str {
    match field {
        "occurred_at" => "when it occurred",
        "discovered_at" => "when it was discovered",
        "reported_at" => "when it was reported",
        "aware_at" => "when the organization became aware",
        "contained_at" => "when it was contained",
        "ended_at" => "when it ended",
        _ => "when its impact ended",
    }
}

/// Names of the top-level fields whose JSON differs.
fn changed_fields(before: &Incident, after: &Incident) -> Vec<&'static str> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    PATCH_FIELDS
        .iter()
        .copied()
        .filter(|f| a.get(*f) != b.get(*f))
        .collect()
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
