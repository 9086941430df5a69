//! Improvement actions: what a lessons-learned review decides to change,
//! tracked to closure as records of their own, each with its owner, due
//! date and a link to what it changes (a control, a risk entry, a plan or
//! procedure section, a playbook).

use serde::{Deserialize, Serialize};

use crate::classification::wire_enum;
use crate::{DomainError, PlaybookId, ReviewOf, SectionRef, Text, Timestamp};

wire_enum!(
    /// What an improvement action changes.
    ChangeKind {
        /// A security control, e.g. `ISO 27002 8.16` or an internal control id.
        Control => "control",
        /// An entry of the risk register, by its id there.
        Risk => "risk",
        /// A section of the plan or a procedure: `<document>#<section>`.
        Section => "section",
        /// A playbook, by id.
        Playbook => "playbook",
    }
);

/// What an improvement action changes: a kind and the thing it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeLink {
    pub kind: ChangeKind,
    /// The control or risk entry as its register names it (1-200
    /// characters); a section as `<document>#<section>`; a playbook's id.
    pub target: Text,
}

impl ChangeLink {
    /// Checks the target's shape for its kind (whether the section or the
    /// playbook exists is the application's to check).
    pub fn check(&self) -> Result<(), String> {
        let target = self.target.as_str();
        match self.kind {
            ChangeKind::Section => SectionRef::parse(target).map(|_| ()),
            ChangeKind::Playbook => PlaybookId::new(target).map(|_| ()),
            ChangeKind::Control | ChangeKind::Risk if target.chars().count() > 200 => {
                Err("must be at most 200 characters".into())
            }
            ChangeKind::Control | ChangeKind::Risk => Ok(()),
        }
    }
}

wire_enum!(
    /// Where an improvement action stands.
    ImprovementStatus {
        Open => "open",
        InProgress => "in_progress",
        Done => "done",
        Cancelled => "cancelled",
    }
);

impl ImprovementStatus {
    pub fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

/// An improvement action as a tracked record. Its id is the reviewed
/// record's number and its place among that record's actions:
/// `INC-2026-0001.2`, `VUL-2026-0003.1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImprovementAction {
    pub id: String,
    /// The incident or vulnerability whose review decided it: the field
    /// `incident` or `vulnerability`.
    #[serde(flatten)]
    pub source: ReviewOf,
    pub what: Text,
    /// Who sees it through: a user name (reminded as the due date nears
    /// and passes) or, in words, someone without an account.
    pub owner: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangeLink>,
    pub status: ImprovementStatus,
    /// What was done, or why it was dropped; required to close it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Text>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
}

/// A change to an improvement action; what is absent stays.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImprovementUpdate {
    #[serde(default)]
    pub status: Option<ImprovementStatus>,
    /// Required to mark it `done` or `cancelled`.
    #[serde(default)]
    pub outcome: Option<Text>,
    /// A new due date (`null` removes it); only while it is open.
    #[serde(default, deserialize_with = "crate::observables::nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub due: Option<Option<Timestamp>>,
    #[serde(default)]
    pub owner: Option<Text>,
}

impl ImprovementAction {
    /// The id of a reviewed record's `n`th improvement action (from 1).
    pub fn id_of(source: ReviewOf, n: usize) -> String {
        format!("{source}.{n}")
    }

    /// The reviewed record of an improvement action's id, if it is one.
    pub fn source_of(id: &str) -> Option<ReviewOf> {
        let (source, n) = id.rsplit_once('.')?;
        n.parse::<u32>().ok().filter(|n| *n > 0)?;
        ReviewOf::parse(source)
    }

    /// Whether it is open and past its due date at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.status.is_open() && self.due.is_some_and(|d| d < now)
    }

    /// Its state in words for the register: `overdue` when open and past due.
    pub fn state(&self, now: Timestamp) -> &'static str {
        if self.overdue(now) {
            "overdue"
        } else {
            self.status.as_str()
        }
    }

    /// Applies an update; a closed action changes no more.
    pub fn update(
        &mut self,
        update: ImprovementUpdate,
        by: &str,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        if !self.status.is_open() {
            return Err(DomainError::Conflict(format!(
                "improvement {} is {}; a closed improvement action does not change",
                self.id, self.status
            )));
        }
        let before = self.clone();
        if let Some(owner) = update.owner {
            if owner.as_str().chars().count() > 200 {
                return Err(DomainError::field(
                    "owner",
                    "must be at most 200 characters",
                ));
            }
            self.owner = owner;
        }
        if let Some(due) = update.due {
            self.due = due;
        }
        if let Some(outcome) = update.outcome {
            self.outcome = Some(outcome);
        }
        if let Some(status) = update.status {
            if !status.is_open() {
                if self.outcome.is_none() {
                    *self = before;
                    return Err(DomainError::field(
                        "outcome",
                        "is required to close an improvement action: what was done, or why it was dropped",
                    ));
                }
                self.closed_by = Some(by.to_owned());
                self.closed_at = Some(now);
            }
            self.status = status;
        }
        if *self == before {
            return Err(DomainError::field(
                "body",
                "changes nothing; send at least one field with a new value",
            ));
        }
        self.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn action() -> ImprovementAction {
        ImprovementAction {
            id: "INC-2026-0001.1".into(),
            source: ReviewOf::Incident("INC-2026-0001".parse().unwrap()),
            what: Text::new("Alert on mass file renames").unwrap(),
            owner: Text::new("ian").unwrap(),
            due: Some(at("2026-12-10T00:00:00Z")),
            changes: None,
            status: ImprovementStatus::Open,
            outcome: None,
            created_by: "mia".into(),
            created_at: at("2026-12-01T00:00:00Z"),
            updated_at: at("2026-12-01T00:00:00Z"),
            closed_by: None,
            closed_at: None,
        }
    }

    #[test]
    fn overdue_while_open_and_past_due() {
        let a = action();
        assert_eq!(a.state(at("2026-12-09T00:00:00Z")), "open");
        assert_eq!(a.state(at("2026-12-11T00:00:00Z")), "overdue");
    }

    #[test]
    fn closing_needs_an_outcome_and_is_final() {
        let mut a = action();
        let done = ImprovementUpdate {
            status: Some(ImprovementStatus::Done),
            ..Default::default()
        };
        let err = a.update(done.clone(), "ian", at("2026-12-05T00:00:00Z"));
        assert!(err.unwrap_err().to_string().contains("outcome"));
        assert_eq!(a, action(), "a refused update changes nothing");
        let mut done = done;
        done.outcome = Some(Text::new("Rule deployed").unwrap());
        a.update(done, "ian", at("2026-12-05T00:00:00Z")).unwrap();
        assert_eq!(a.state(at("2026-12-20T00:00:00Z")), "done");
        assert_eq!(a.closed_by.as_deref(), Some("ian"));
        let again = ImprovementUpdate {
            due: Some(None),
            ..Default::default()
        };
        assert!(matches!(
            a.update(again, "ian", at("2026-12-06T00:00:00Z")),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn the_wire_names_the_reviewed_record_by_its_kind() {
        let mut a = action();
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["incident"], "INC-2026-0001");
        assert!(json.get("source").is_none() && json.get("vulnerability").is_none());
        assert_eq!(
            serde_json::from_value::<ImprovementAction>(json).unwrap(),
            a
        );
        a.source = ReviewOf::Vulnerability("VUL-2026-0003".parse().unwrap());
        a.id = ImprovementAction::id_of(a.source, 1);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["vulnerability"], "VUL-2026-0003");
        assert_eq!(
            serde_json::from_value::<ImprovementAction>(json).unwrap(),
            a
        );
        assert_eq!(ImprovementAction::source_of(&a.id), Some(a.source));
        assert_eq!(ImprovementAction::source_of("VUL-2026-0003.0"), None);
        assert_eq!(ImprovementAction::source_of("EVT-2026-000003.1"), None);
    }

    #[test]
    fn a_link_is_checked_for_its_kind() {
        let link = |kind, target: &str| ChangeLink {
            kind,
            target: Text::new(target).unwrap(),
        };
        assert!(
            link(ChangeKind::Section, "incident-plan#containment")
                .check()
                .is_ok()
        );
        assert!(link(ChangeKind::Section, "Not A Doc").check().is_err());
        assert!(
            link(ChangeKind::Playbook, "phishing-response")
                .check()
                .is_ok()
        );
        assert!(link(ChangeKind::Playbook, "Phishing!").check().is_err());
        assert!(link(ChangeKind::Control, "ISO 27002 8.16").check().is_ok());
    }
}
