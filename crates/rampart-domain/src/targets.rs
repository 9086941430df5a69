//! Response-time targets: how long, per severity class, the ISIRT allows
//! itself to triage, assess and confirm an event and to contain and close an
//! incident, and where each record stands against them.
//!
//! Event stages run from the report; incident stages from the moment the
//! organisation became aware, except `confirm`, which runs from the earliest
//! report to the confirmation. Within a class the stages of one record are
//! ordered (triage no later than assess, assess no later than confirm, contain
//! no later than close), so the first stage not yet done is always the one
//! due soonest. The store indexes that stage and its start, never a due time:
//! a change of targets applies to every record at once, with nothing to
//! recompute.

use serde::{Deserialize, Serialize};

use crate::classification::wire_enum;
use crate::error::Problems;
use crate::{AlertSeverity, DomainError, Event, EventStatus, Incident, SeverityClass, Timestamp};

/// The longest target: one year, in minutes.
pub const MAX_TARGET_MINUTES: u32 = 525_600;

/// The share of a target, in percent, after which it is due soon.
pub const DUE_SOON_PERCENT: i64 = 75;

wire_enum!(
    /// A measured stage of the response.
    Stage {
        Triage => "triage",
        Assess => "assess",
        Confirm => "confirm",
        Contain => "contain",
        Close => "close",
    }
);

impl Stage {
    pub fn title(self) -> &'static str {
        match self {
            Self::Triage => "Time to triage",
            Self::Assess => "Time to assess",
            Self::Confirm => "Time to confirm",
            Self::Contain => "Time to contain",
            Self::Close => "Time to close",
        }
    }

    fn rank(self) -> i64 {
        match self {
            Self::Triage => 1,
            Self::Assess => 2,
            Self::Confirm => 3,
            Self::Contain => 4,
            Self::Close => 5,
        }
    }
}

wire_enum!(
    /// Where a record stands against one target.
    TargetState {
        /// Running, less than three quarters of the time used.
        OnTrack => "on_track",
        /// Running, three quarters or more of the time used.
        DueSoon => "due_soon",
        /// Running past its due time.
        Overdue => "overdue",
        /// Done within the target.
        Met => "met",
        /// Done after the due time.
        Missed => "missed",
    }
);

impl TargetState {
    /// The running states, which the registers filter on.
    pub const RUNNING: [TargetState; 3] = [Self::OnTrack, Self::DueSoon, Self::Overdue];

    pub fn title(self) -> &'static str {
        match self {
            Self::OnTrack => "On track",
            Self::DueSoon => "Due soon",
            Self::Overdue => "Overdue",
            Self::Met => "Met",
            Self::Missed => "Missed",
        }
    }
}

/// The targets of one severity class, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClassTargets {
    pub class: SeverityClass,
    /// From the report to triage (or straight to assessment).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 525_600))]
    pub triage_minutes: u32,
    /// From the report to the point of contact's assessment.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 525_600))]
    pub assess_minutes: u32,
    /// From the report to the ISIRT's decision: confirmed as an incident or not.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 525_600))]
    pub confirm_minutes: u32,
    /// From awareness to containment.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 525_600))]
    pub contain_minutes: u32,
    /// From awareness to closure.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 525_600))]
    pub close_minutes: u32,
}

impl ClassTargets {
    pub fn minutes(&self, stage: Stage) -> u32 {
        match stage {
            Stage::Triage => self.triage_minutes,
            Stage::Assess => self.assess_minutes,
            Stage::Confirm => self.confirm_minutes,
            Stage::Contain => self.contain_minutes,
            Stage::Close => self.close_minutes,
        }
    }
}

/// The table of targets, one row per class; admins change it as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResponseTargets {
    /// Rises by one with every change; a change names the version it edited.
    #[serde(default)]
    pub version: u32,
    /// Exactly one row for each class, I to IV.
    pub classes: Vec<ClassTargets>,
    /// Who is told as an incident's running target or notification clock
    /// uses up its time; the shipped ladder when left out.
    #[serde(default = "default_ladder")]
    pub escalation: Vec<EscalationStep>,
}

/// Most rungs of the escalation ladder.
pub const MAX_STEPS: usize = 8;

wire_enum!(
    /// Who an escalation rung tells.
    Recipient {
        /// The incident's coordinator.
        Coordinator => "coordinator",
        /// Every ISIRT manager who may see the incident.
        IsirtManager => "isirt_manager",
        /// Every crisis manager who may see the incident.
        CrisisManager => "crisis_manager",
        /// Every senior manager who may see the incident.
        SeniorManager => "senior_manager",
        /// Whoever is on ISIRT duty when the rung is reached (see the teams' rota).
        OnDuty => "on_duty",
    }
);

impl Recipient {
    /// The role whose holders are told, or `None` for the coordinator.
    pub fn role(self) -> Option<crate::Role> {
        match self {
            Self::Coordinator | Self::OnDuty => None,
            Self::IsirtManager => Some(crate::Role::IsirtManager),
            Self::CrisisManager => Some(crate::Role::CrisisManager),
            Self::SeniorManager => Some(crate::Role::SeniorManager),
        }
    }
}

/// One rung of the escalation ladder: when a deadline has used `at_percent`
/// of its time, `notify` are told, once. With `class_at_least`, only for
/// incidents of that class or above; an incident in crisis handling (not
/// under control) counts as class IV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 200))]
    pub at_percent: u32,
    pub notify: Vec<Recipient>,
    #[serde(default)]
    pub class_at_least: Option<SeverityClass>,
}

impl EscalationStep {
    /// Whether the rung applies to an incident of `class`, in crisis or not.
    pub fn applies(&self, class: SeverityClass, in_crisis: bool) -> bool {
        let class = if in_crisis { SeverityClass::IV } else { class };
        self.class_at_least.is_none_or(|least| class >= least)
    }
}

/// The shipped ladder: at 75 % the coordinator; at 100 % the coordinator
/// and the ISIRT manager; at 100 % of a class IV incident's deadline, or
/// any deadline of an incident in crisis handling, also crisis and senior
/// management.
pub fn default_ladder() -> Vec<EscalationStep> {
    use Recipient::*;
    vec![
        EscalationStep {
            at_percent: 75,
            notify: vec![Coordinator],
            class_at_least: None,
        },
        EscalationStep {
            at_percent: 100,
            notify: vec![Coordinator, IsirtManager],
            class_at_least: None,
        },
        EscalationStep {
            at_percent: 100,
            notify: vec![CrisisManager, SeniorManager],
            class_at_least: Some(SeverityClass::IV),
        },
    ]
}

/// One rung reached by one deadline of an incident, as recorded on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Escalation {
    /// `target:contain`, `target:close`, or `clock:<regime>/<report>`.
    pub deadline: String,
    /// The deadline in words: `Time to contain`, `DORA: Initial notification`.
    pub label: String,
    pub due_at: Timestamp,
    pub at_percent: u32,
    /// The rung's class condition, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_at_least: Option<SeverityClass>,
    /// Who was told.
    pub told: Vec<String>,
    pub at: Timestamp,
}

impl Escalation {
    /// `Time to contain: 75 % used, due 2026-03-02 12:30 UTC`.
    pub fn describe(&self) -> String {
        let due = self.due_at.to_rfc3339();
        let due = format!(
            "{} {} UTC",
            due.get(..10).unwrap_or(""),
            due.get(11..16).unwrap_or("")
        );
        if self.at_percent >= 100 {
            format!("{}: due {due}, now past", self.label)
        } else {
            format!(
                "{}: {} % of the time used, due {due}",
                self.label, self.at_percent
            )
        }
    }

    /// Whether this rung of this deadline was reached before.
    pub fn same_rung(&self, other: &Escalation) -> bool {
        self.deadline == other.deadline
            && self.due_at == other.due_at
            && self.at_percent == other.at_percent
            && self.class_at_least == other.class_at_least
    }
}

const HOUR: u32 = 60;
const DAY: u32 = 24 * HOUR;

impl Default for ResponseTargets {
    /// The shipped table: calendar time, round the clock.
    fn default() -> Self {
        let row = |class, t: [u32; 5]| ClassTargets {
            class,
            triage_minutes: t[0],
            assess_minutes: t[1],
            confirm_minutes: t[2],
            contain_minutes: t[3],
            close_minutes: t[4],
        };
        Self {
            version: 0,
            escalation: default_ladder(),
            classes: vec![
                row(
                    SeverityClass::I,
                    [8 * HOUR, DAY, 3 * DAY, 7 * DAY, 30 * DAY],
                ),
                row(
                    SeverityClass::II,
                    [2 * HOUR, 4 * HOUR, DAY, 3 * DAY, 14 * DAY],
                ),
                row(SeverityClass::III, [30, HOUR, 4 * HOUR, DAY, 7 * DAY]),
                row(SeverityClass::IV, [15, 30, HOUR, 4 * HOUR, 3 * DAY]),
            ],
        }
    }
}

/// The stages each kind of record is measured on, in order.
const EVENT_STAGES: [Stage; 3] = [Stage::Triage, Stage::Assess, Stage::Confirm];
const INCIDENT_STAGES: [Stage; 3] = [Stage::Confirm, Stage::Contain, Stage::Close];

impl ResponseTargets {
    /// Checks a table before it replaces the current one.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut p = Problems::default();
        for class in SeverityClass::ALL {
            match self.classes.iter().filter(|c| c.class == *class).count() {
                0 => p.push("classes", format!("has no row for class {class}")),
                1 => {}
                _ => p.push(
                    "classes",
                    format!("has more than one row for class {class}"),
                ),
            }
        }
        for (i, row) in self.classes.iter().enumerate() {
            for stage in Stage::ALL {
                let minutes = row.minutes(*stage);
                if !(1..=MAX_TARGET_MINUTES).contains(&minutes) {
                    p.push(
                        format!("classes[{i}].{stage}_minutes"),
                        format!("must be between 1 and {MAX_TARGET_MINUTES} minutes (a year)"),
                    );
                }
            }
            for pair in [
                (Stage::Triage, Stage::Assess),
                (Stage::Assess, Stage::Confirm),
                (Stage::Contain, Stage::Close),
            ] {
                if row.minutes(pair.0) > row.minutes(pair.1) {
                    p.push(
                        format!("classes[{i}].{}_minutes", pair.1),
                        format!(
                            "must not be shorter than {}_minutes: a later stage cannot be due first",
                            pair.0
                        ),
                    );
                }
            }
        }
        if self.escalation.len() > MAX_STEPS {
            p.push("escalation", format!("must have at most {MAX_STEPS} rungs"));
        }
        for (i, step) in self.escalation.iter().enumerate() {
            if !(1..=200).contains(&step.at_percent) {
                p.push(
                    format!("escalation[{i}].at_percent"),
                    "must be between 1 and 200",
                );
            }
            if step.notify.is_empty() {
                p.push(
                    format!("escalation[{i}].notify"),
                    "must name someone to tell",
                );
            }
            if self.escalation[..i]
                .iter()
                .any(|s| s.at_percent == step.at_percent && s.class_at_least == step.class_at_least)
            {
                p.push(
                    format!("escalation[{i}].at_percent"),
                    "an earlier rung has the same percentage and class; merge them",
                );
            }
        }
        p.into_result()
    }

    /// The row of one class; the shipped row where the table lacks it.
    pub fn class(&self, class: SeverityClass) -> ClassTargets {
        self.classes
            .iter()
            .find(|c| c.class == class)
            .copied()
            .or_else(|| {
                Self::default()
                    .classes
                    .into_iter()
                    .find(|c| c.class == class)
            })
            .unwrap_or(ClassTargets {
                class,
                triage_minutes: DAY,
                assess_minutes: DAY,
                confirm_minutes: DAY,
                contain_minutes: DAY,
                close_minutes: DAY,
            })
    }

    fn seconds(&self, class: SeverityClass, stage: Stage) -> i64 {
        i64::from(self.class(class).minutes(stage)) * 60
    }

    /// An event's stages: triage and assessment always, confirmation once
    /// the event was escalated (a linked event's is on its incident).
    pub fn event(&self, event: &Event, now: Timestamp) -> Vec<Measure> {
        let class = event_class(event);
        EVENT_STAGES
            .iter()
            .filter_map(|&stage| {
                let done = match stage {
                    Stage::Triage => first_look(event),
                    Stage::Assess => event.assessment.as_ref().map(|a| a.at),
                    Stage::Confirm => match event.status {
                        EventStatus::Escalated => None,
                        EventStatus::NotIncident => event.rejection.as_ref().map(|r| r.at),
                        _ => return None,
                    },
                    _ => return None,
                };
                Some(self.measure(stage, class, event.reported_at, done, now))
            })
            .collect()
    }

    /// An incident's stages: confirmation (done when it exists), containment
    /// and closure. A reopened incident's closure runs again.
    pub fn incident(&self, incident: &Incident, now: Timestamp) -> Vec<Measure> {
        let class = incident.severity.class;
        INCIDENT_STAGES
            .iter()
            .map(|&stage| {
                let (from, done) = match stage {
                    Stage::Confirm => (incident.reported_at, Some(incident.confirmed_at)),
                    Stage::Contain => (incident.aware_at, contained(incident)),
                    _ => (incident.aware_at, closed(incident)),
                };
                self.measure(stage, class, from, done, now)
            })
            .collect()
    }

    fn measure(
        &self,
        stage: Stage,
        class: SeverityClass,
        from: Timestamp,
        done: Option<Timestamp>,
        now: Timestamp,
    ) -> Measure {
        let target = self.seconds(class, stage);
        let due = add_seconds(from, target);
        let warn = add_seconds(from, target * DUE_SOON_PERCENT / 100);
        let end = done.unwrap_or(now);
        let used = seconds_between(from, end).max(0);
        let state = match done {
            Some(at) if at <= due => TargetState::Met,
            Some(_) => TargetState::Missed,
            None if now >= due => TargetState::Overdue,
            None if now >= warn => TargetState::DueSoon,
            None => TargetState::OnTrack,
        };
        Measure {
            stage,
            class,
            target_minutes: self.class(class).minutes(stage),
            started_at: from,
            due_at: due,
            warn_at: warn,
            done_at: done,
            state,
            used_seconds: used,
            left_seconds: seconds_between(end, due),
        }
    }

    /// The index lanes that select records whose running target is in
    /// `state` at `now` (every running record when `state` is `None`), with
    /// the offset that turns a lane's start into its due time.
    pub fn lanes(&self, kind: Measured, state: Option<TargetState>, now: Timestamp) -> Vec<Lane> {
        let now = now.as_offset().unix_timestamp();
        let mut lanes = Vec::new();
        for class in SeverityClass::ALL {
            for &stage in kind.running_stages() {
                let target = self.seconds(*class, stage);
                let warn = target * DUE_SOON_PERCENT / 100;
                // A stage started at `from` is overdue once now >= from + target.
                let (from_min, from_max) = match state {
                    None => (None, None),
                    Some(TargetState::Overdue) => (None, Some(now - target)),
                    Some(TargetState::DueSoon) => (Some(now - target + 1), Some(now - warn)),
                    Some(TargetState::OnTrack) => (Some(now - warn + 1), None),
                    Some(TargetState::Met | TargetState::Missed) => continue,
                };
                lanes.push(Lane {
                    key: lane_key(*class, stage),
                    offset_seconds: target,
                    from_min,
                    from_max,
                });
            }
        }
        lanes
    }
}

/// Which kind of record a measurement is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measured {
    Event,
    Incident,
}

impl Measured {
    /// The stages a record of this kind may have running.
    fn running_stages(self) -> &'static [Stage] {
        match self {
            Self::Event => &EVENT_STAGES,
            Self::Incident => &INCIDENT_STAGES[1..],
        }
    }
}

/// One record's standing against one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measure {
    pub stage: Stage,
    /// The class whose row applies (for an event, its provisional class).
    pub class: SeverityClass,
    pub target_minutes: u32,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    /// When three quarters of the time are used.
    pub warn_at: Timestamp,
    pub done_at: Option<Timestamp>,
    pub state: TargetState,
    /// Seconds from the start to the end (or now).
    pub used_seconds: i64,
    /// Seconds from the end (or now) to the due time; negative when late.
    pub left_seconds: i64,
}

impl Measure {
    pub fn is_running(&self) -> bool {
        self.done_at.is_none()
    }

    /// How much of the target is used, in percent.
    pub fn percent_used(&self) -> i64 {
        let target = i64::from(self.target_minutes) * 60;
        if target == 0 {
            100
        } else {
            self.used_seconds * 100 / target
        }
    }
}

/// One index lane: records whose running stage has this key, started
/// between `from_min` and `from_max` (Unix seconds, both inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lane {
    pub key: i64,
    pub offset_seconds: i64,
    pub from_min: Option<i64>,
    pub from_max: Option<i64>,
}

/// The first stage of a record not yet done, the class it is measured in
/// and when it started: what the store indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Running {
    pub stage: Stage,
    pub class: SeverityClass,
    pub from: Timestamp,
}

impl Running {
    /// The lane key: the class's rank times ten plus the stage's.
    pub fn key(&self) -> i64 {
        lane_key(self.class, self.stage)
    }

    /// The start in Unix seconds.
    pub fn from_seconds(&self) -> i64 {
        self.from.as_offset().unix_timestamp()
    }

    /// The running stage of an event, if any.
    pub fn of_event(event: &Event) -> Option<Self> {
        let stage = match event.status {
            EventStatus::Reported => Stage::Triage,
            EventStatus::Triage => Stage::Assess,
            EventStatus::Escalated => Stage::Confirm,
            _ => return None,
        };
        Some(Self {
            stage,
            class: event_class(event),
            from: event.reported_at,
        })
    }

    /// The running stage of an incident, if any.
    pub fn of_incident(incident: &Incident) -> Option<Self> {
        let stage = if closed(incident).is_some() {
            return None;
        } else if contained(incident).is_none() {
            Stage::Contain
        } else {
            Stage::Close
        };
        Some(Self {
            stage,
            class: incident.severity.class,
            from: incident.aware_at,
        })
    }
}

fn lane_key(class: SeverityClass, stage: Stage) -> i64 {
    let class = match class {
        SeverityClass::I => 1,
        SeverityClass::II => 2,
        SeverityClass::III => 3,
        SeverityClass::IV => 4,
    };
    class * 10 + stage.rank()
}

/// The class an event is measured in before the ISIRT classifies it: from
/// the sensor's severity (critical IV, high III, medium II, low and info I),
/// class II for a report without one, and at least III once the point of
/// contact flags it as significant.
pub fn event_class(event: &Event) -> SeverityClass {
    let from_sensor = match event.severity {
        Some(AlertSeverity::Critical) => SeverityClass::IV,
        Some(AlertSeverity::High) => SeverityClass::III,
        Some(AlertSeverity::Medium) | None => SeverityClass::II,
        Some(AlertSeverity::Low | AlertSeverity::Info) => SeverityClass::I,
    };
    if event.assessment.as_ref().is_some_and(|a| a.escalate) {
        from_sensor.max(SeverityClass::III)
    } else {
        from_sensor
    }
}

/// When someone first looked at the event: triage, or an assessment straight from the queue.
fn first_look(event: &Event) -> Option<Timestamp> {
    let triage = event.triage.as_ref().map(|t| t.at);
    let assessed = event.assessment.as_ref().map(|a| a.at);
    match (triage, assessed) {
        (Some(t), Some(a)) => Some(t.min(a)),
        (t, a) => t.or(a),
    }
}

/// Containment: its recorded time, or the move past response without one.
fn contained(incident: &Incident) -> Option<Timestamp> {
    incident.contained_at.or_else(|| closed(incident))
}

/// Closure counts while the incident stays closed; a reopened one runs again.
fn closed(incident: &Incident) -> Option<Timestamp> {
    if incident.status.is_open() {
        None
    } else {
        Some(incident.closed_at.unwrap_or(incident.updated_at))
    }
}

fn add_seconds(at: Timestamp, seconds: i64) -> Timestamp {
    let moved = at
        .as_offset()
        .checked_add(time::Duration::seconds(seconds))
        .unwrap_or(at.as_offset());
    Timestamp::from_offset(moved)
}

fn seconds_between(from: Timestamp, to: Timestamp) -> i64 {
    (to.as_offset() - from.as_offset()).whole_seconds()
}

#[cfg(test)]
mod tests;
