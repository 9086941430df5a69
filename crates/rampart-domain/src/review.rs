//! The lessons-learned review of an incident: what was submitted, and each
//! recorded version with its improvement actions.

use serde::{Deserialize, Serialize};

use crate::{Text, Timestamp};

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
    /// Earlier incidents with the same root cause: this one is a recurrence (at most 20).
    #[serde(default)]
    pub same_root_cause_as: Vec<crate::IncidentNumber>,
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
    pub same_root_cause_as: Vec<crate::IncidentNumber>,
    pub recorded_by: String,
    pub recorded_at: Timestamp,
}
