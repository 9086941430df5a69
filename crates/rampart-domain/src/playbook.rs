//! Playbooks: the response actions an incident of a category or RSIT type
//! calls for, in order, each with the role that owns it, when it is due
//! after the playbook is applied, whether it needs an approval and the
//! procedure section it carries out. Every change is a new version; an
//! incident records which version it applied, and the actions it made are
//! its own: a later version changes none of them.

use serde::{Deserialize, Serialize};

use crate::error::Problems;
use crate::{Category, DomainError, Incident, NewAction, Role, Rsit, SectionRef, Text, Timestamp};

crate::slug::slug_id!(
    /// What names a playbook, e.g. `phishing-response`.
    PlaybookId,
    "A playbook's id",
    "phishing-response"
);

/// Most steps one playbook holds.
pub const MAX_STEPS: usize = 50;
/// Most playbooks an installation holds.
pub const MAX_PLAYBOOKS: usize = 200;
/// Most versions one playbook keeps in its record (the journal keeps all).
pub const MAX_VERSIONS: usize = 500;
/// The latest a step may be due: a year after the playbook is applied.
pub const MAX_DUE_MINUTES: u32 = 525_600;

/// One step of a playbook: a response action to plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlaybookStep {
    pub what: Text,
    /// Who owns it: an `isirt_member` step goes to the incident's
    /// coordinator, any other to the role until someone takes it.
    pub owner_role: Role,
    /// Due this many minutes after the playbook is applied (1 to 525600); none: no due time.
    #[serde(default)]
    pub due_minutes: Option<u32>,
    /// Disruptive: its approval must be recorded before it starts.
    #[serde(default)]
    pub requires_approval: bool,
    /// The procedure section it carries out (checked to exist when saved).
    #[serde(default)]
    pub procedure: Option<SectionRef>,
}

/// What a version of a playbook says: its title, the incidents it is for
/// and its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlaybookContent {
    /// 1-200 characters.
    pub title: Text,
    #[serde(default)]
    pub description: Option<Text>,
    /// The categories it is proposed for.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// The RSIT types it is proposed for.
    #[serde(default)]
    pub rsit_types: Vec<Rsit>,
    /// The actions, in order (1 to 50).
    pub steps: Vec<PlaybookStep>,
}

impl PlaybookContent {
    /// Checks every field, naming each that is wrong.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut p = Problems::default();
        if self.title.as_str().chars().count() > 200 {
            p.push("title", "must be at most 200 characters");
        }
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            p.push("steps", format!("give 1 to {MAX_STEPS} steps"));
        }
        for (i, c) in self.categories.iter().enumerate() {
            if self.categories[..i].contains(c) {
                p.push(format!("categories[{i}]"), format!("{c} is listed twice"));
            }
        }
        for (i, r) in self.rsit_types.iter().enumerate() {
            if self.rsit_types[..i].contains(r) {
                p.push(format!("rsit_types[{i}]"), "is listed twice");
            }
        }
        for (i, s) in self.steps.iter().enumerate() {
            if s.what.as_str().chars().count() > 500 {
                p.push(format!("steps[{i}].what"), "must be at most 500 characters");
            }
            if s.due_minutes.is_some_and(|m| m == 0 || m > MAX_DUE_MINUTES) {
                p.push(
                    format!("steps[{i}].due_minutes"),
                    format!("must be 1 to {MAX_DUE_MINUTES} minutes"),
                );
            }
            if matches!(s.owner_role, Role::Reporter | Role::Auditor | Role::Admin) {
                p.push(
                    format!("steps[{i}].owner_role"),
                    format!("a {} does not carry out response actions", s.owner_role),
                );
            }
        }
        p.into_result()
    }
}

/// One saved version of a playbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlaybookVersion {
    pub version: u32,
    #[serde(flatten)]
    pub content: PlaybookContent,
    /// What changed, in words.
    pub note: Option<Text>,
    pub saved_by: String,
    pub saved_at: Timestamp,
}

/// A playbook with its versions, oldest first; the last is the one applied
/// unless another is named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Playbook {
    pub id: PlaybookId,
    pub versions: Vec<PlaybookVersion>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A playbook as submitted: a new one (with `id`) or a new version of one.
// The fields of `PlaybookContent` spelled out rather than flattened, so
// that unknown fields are refused and each refusal names its full path.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlaybookInput {
    /// Only when creating: `phishing-response` (2-64 characters of a-z, 0-9 and '-').
    #[serde(default)]
    pub id: Option<String>,
    /// 1-200 characters.
    pub title: Text,
    #[serde(default)]
    pub description: Option<Text>,
    /// The categories it is proposed for.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// The RSIT types it is proposed for.
    #[serde(default)]
    pub rsit_types: Vec<Rsit>,
    /// The actions, in order (1 to 50).
    pub steps: Vec<PlaybookStep>,
    /// What changed, in words.
    #[serde(default)]
    pub note: Option<Text>,
}

impl PlaybookInput {
    /// What the version will say.
    pub fn content(&self) -> PlaybookContent {
        PlaybookContent {
            title: self.title.clone(),
            description: self.description.clone(),
            categories: self.categories.clone(),
            rsit_types: self.rsit_types.clone(),
            steps: self.steps.clone(),
        }
    }
}

impl Playbook {
    /// A new playbook whose first version is `content`.
    pub fn new(
        id: PlaybookId,
        content: PlaybookContent,
        note: Option<Text>,
        by: &str,
        now: Timestamp,
    ) -> Result<Self, DomainError> {
        content.validate()?;
        Ok(Self {
            id,
            versions: vec![PlaybookVersion {
                version: 1,
                content,
                note,
                saved_by: by.to_owned(),
                saved_at: now,
            }],
            created_by: by.to_owned(),
            created_at: now,
            updated_at: now,
        })
    }

    /// Saves `content` as the next version.
    pub fn revise(
        &mut self,
        content: PlaybookContent,
        note: Option<Text>,
        by: &str,
        now: Timestamp,
    ) -> Result<&PlaybookVersion, DomainError> {
        content.validate()?;
        if self.current().is_some_and(|v| v.content == content) {
            return Err(DomainError::field(
                "steps",
                "changes nothing: the version in use says the same",
            ));
        }
        let version = self.versions.last().map_or(1, |v| v.version + 1);
        self.versions.push(PlaybookVersion {
            version,
            content,
            note,
            saved_by: by.to_owned(),
            saved_at: now,
        });
        if self.versions.len() > MAX_VERSIONS {
            self.versions.remove(0);
        }
        self.updated_at = now;
        self.versions
            .last()
            .ok_or_else(|| DomainError::NotFound("version".into()))
    }

    /// The version in use: the latest.
    pub fn current(&self) -> Option<&PlaybookVersion> {
        self.versions.last()
    }

    /// Version `n`, or the latest when `None`.
    pub fn version(&self, n: Option<u32>) -> Result<&PlaybookVersion, DomainError> {
        match n {
            None => self.current(),
            Some(n) => self.versions.iter().find(|v| v.version == n),
        }
        .ok_or_else(|| {
            DomainError::field(
                "version",
                format!("{} has no version {}", self.id, n.unwrap_or(0)),
            )
        })
    }

    /// Whether the version in use is for incidents of `category` or `rsit`.
    pub fn fits(&self, category: Category, rsit: Option<&Rsit>) -> bool {
        self.current().is_some_and(|v| {
            v.content.categories.contains(&category)
                || rsit.is_some_and(|r| v.content.rsit_types.contains(r))
        })
    }
}

/// A playbook applied to an incident: which version, when, by whom, and
/// the response actions it planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppliedPlaybook {
    pub playbook: PlaybookId,
    pub version: u32,
    pub title: Text,
    pub applied_by: String,
    pub applied_at: Timestamp,
    /// The ids of the response actions it planned.
    pub actions: Vec<u32>,
}

/// Applying a playbook to an incident.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApplyPlaybook {
    /// `phishing-response`.
    pub playbook: PlaybookId,
    /// The version to apply; the latest when absent.
    #[serde(default)]
    pub version: Option<u32>,
}

impl Incident {
    /// Plans the steps of `version` of `playbook` as response actions,
    /// each due its minutes after `now`; a playbook is applied once.
    pub fn apply_playbook(
        &mut self,
        playbook: &Playbook,
        version: Option<u32>,
        by: &crate::Actor,
        now: Timestamp,
    ) -> Result<AppliedPlaybook, DomainError> {
        if let Some(done) = self.playbooks.iter().find(|a| a.playbook == playbook.id) {
            return Err(DomainError::field(
                "playbook",
                format!(
                    "{} was applied already (version {}, by {} at {})",
                    playbook.id, done.version, done.applied_by, done.applied_at
                ),
            ));
        }
        let chosen = playbook.version(version)?;
        let mut actions = Vec::with_capacity(chosen.content.steps.len());
        for step in &chosen.content.steps {
            let owner = if step.owner_role == Role::IsirtMember {
                Text::lossy(&self.coordinator)
            } else {
                Text::lossy(step.owner_role.title())
            };
            let due = step.due_minutes.map(|m| {
                Timestamp::from_offset(now.as_offset() + time::Duration::minutes(i64::from(m)))
            });
            let input = NewAction {
                what: step.what.clone(),
                owner,
                due,
                requires_approval: step.requires_approval,
                procedure: step.procedure.clone(),
            };
            actions.push(self.add_action(input, by, now)?.id);
        }
        let applied = AppliedPlaybook {
            playbook: playbook.id.clone(),
            version: chosen.version,
            title: chosen.content.title.clone(),
            applied_by: by.name.clone(),
            applied_at: now,
            actions,
        };
        self.playbooks.push(applied.clone());
        self.updated_at = now;
        Ok(applied)
    }
}
