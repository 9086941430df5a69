//! Response actions: what, who, by when, the approval a disruptive one
//! needs before it starts, and how it went.

use super::*;

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
    /// The procedure section it carries out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure: Option<crate::SectionRef>,
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
    /// The procedure section it carries out: `containment-procedure#isolate-a-host` (it must exist).
    #[serde(default)]
    pub procedure: Option<crate::SectionRef>,
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

impl ResponseAction {
    /// Whether the action is past its due time at `now` and not finished.
    pub fn overdue_at(&self, now: &Timestamp) -> bool {
        self.due.is_some_and(|d| d < *now) && self.is_open()
    }

    /// Whether the action is still to be done (planned or in progress).
    pub fn is_open(&self) -> bool {
        !matches!(self.status, ActionStatus::Done | ActionStatus::Cancelled)
    }
}

impl Incident {
    /// When the earliest open response action of this incident is due,
    /// while the incident is open.
    pub fn next_action_due(&self) -> Option<Timestamp> {
        if !self.status.is_open() {
            return None;
        }
        self.actions
            .iter()
            .filter(|a| a.is_open())
            .filter_map(|a| a.due)
            .min()
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
            procedure: input.procedure,
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
}
