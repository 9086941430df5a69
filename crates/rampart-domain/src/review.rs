//! The lessons-learned review of an incident: what was submitted, and each
//! recorded version with its improvement actions.

use serde::{Deserialize, Serialize};

use crate::{Actor, DomainError, IncidentNumber, Text, Timestamp, VulnerabilityNumber};

/// What a lessons-learned review is of: an incident, or a vulnerability.
/// On the wire it is one field named for its kind: `"incident":
/// "INC-2026-0001"` or `"vulnerability": "VUL-2026-0001"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewOf {
    Incident(IncidentNumber),
    Vulnerability(VulnerabilityNumber),
}

impl ReviewOf {
    /// The kind of record: `incident` or `vulnerability` (its field name).
    pub fn kind(self) -> &'static str {
        match self {
            Self::Incident(_) => "incident",
            Self::Vulnerability(_) => "vulnerability",
        }
    }

    /// Its page in the web interface.
    pub fn href(self) -> String {
        match self {
            Self::Incident(n) => format!("/incidents/{n}"),
            Self::Vulnerability(n) => format!("/vulnerabilities/{n}"),
        }
    }

    /// The record's number as text (`INC-…` or `VUL-…`), or what it reads.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse()
            .map(Self::Incident)
            .or_else(|_| text.parse().map(Self::Vulnerability))
            .ok()
    }
}

impl std::fmt::Display for ReviewOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Incident(n) => n.fmt(f),
            Self::Vulnerability(n) => n.fmt(f),
        }
    }
}

/// An improvement action from the review, tracked to completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Improvement {
    pub what: Text,
    pub owner: Text,
    #[serde(default)]
    pub due: Option<Timestamp>,
    /// What it changes: a control, a risk entry, a plan or procedure section, a playbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<crate::ChangeLink>,
}

/// The lessons-learned review as submitted.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    #[serde(default)]
    pub held_at: Option<Timestamp>,
    #[serde(default)]
    pub what_worked: Option<Text>,
    /// What would have helped detection.
    #[serde(default)]
    pub detection: Option<Text>,
    /// What would have helped response.
    #[serde(default)]
    pub response: Option<Text>,
    /// What would have helped recovery.
    #[serde(default)]
    pub recovery: Option<Text>,
    #[serde(default)]
    pub communication_effective: Option<bool>,
    #[serde(default)]
    pub communication_notes: Option<Text>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub lessons: Vec<Text>,
    #[serde(default)]
    pub improvements: Vec<Improvement>,
    /// Earlier incidents with the same root cause: this one is a recurrence
    /// (at most 20). For a vulnerability: the incidents it lay behind.
    #[serde(default)]
    pub same_root_cause_as: Vec<IncidentNumber>,
}

/// Most incidents a review names as having the same root cause.
pub const MAX_RECURRENCE: usize = 20;

/// The recorded lessons-learned review. A new submission is a new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub version: u32,
    pub held_at: Option<Timestamp>,
    pub what_worked: Option<Text>,
    pub detection: Option<Text>,
    pub response: Option<Text>,
    pub recovery: Option<Text>,
    pub communication_effective: Option<bool>,
    pub communication_notes: Option<Text>,
    pub lessons: Vec<Text>,
    pub improvements: Vec<Improvement>,
    /// Earlier incidents with the same root cause; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub same_root_cause_as: Vec<IncidentNumber>,
    pub recorded_by: String,
    pub recorded_at: Timestamp,
}

impl Review {
    /// The next version of a record's review: `previous` is the current
    /// one, `own` the incident reviewed, which may not name itself.
    pub fn next(
        previous: Option<&Review>,
        input: ReviewInput,
        own: Option<IncidentNumber>,
        by: &Actor,
        now: Timestamp,
    ) -> Result<Review, DomainError> {
        if input.lessons.is_empty() {
            return Err(DomainError::field(
                "lessons",
                "must list at least one lesson",
            ));
        }
        if input.held_at.is_some_and(|t| t > now) {
            return Err(DomainError::field("held_at", "must not be in the future"));
        }
        if input.same_root_cause_as.len() > MAX_RECURRENCE {
            return Err(DomainError::field(
                "same_root_cause_as",
                format!("name at most {MAX_RECURRENCE} incidents"),
            ));
        }
        for (i, n) in input.same_root_cause_as.iter().enumerate() {
            if Some(*n) == own || input.same_root_cause_as[..i].contains(n) {
                return Err(DomainError::field(
                    format!("same_root_cause_as[{i}]"),
                    format!("{n} is this incident or named twice"),
                ));
            }
        }
        Ok(Review {
            version: previous.map_or(1, |r| r.version + 1),
            held_at: input.held_at,
            what_worked: input.what_worked,
            detection: input.detection,
            response: input.response,
            recovery: input.recovery,
            communication_effective: input.communication_effective,
            communication_notes: input.communication_notes,
            lessons: input.lessons,
            improvements: input.improvements,
            same_root_cause_as: input.same_root_cause_as,
            recorded_by: by.name.clone(),
            recorded_at: now,
        })
    }
}
