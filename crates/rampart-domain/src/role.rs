//! Roles and the table of which role may do what. The table is enforced in
//! the application layer for every request, whatever the interface.

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::classification::wire_enum;

wire_enum!(
    /// What a user is to the incident management scheme.
    Role {
        /// Any employee: reports events and vulnerabilities, sees their own reports.
        Reporter => "reporter",
        /// Point of contact: triages and assesses events.
        Poc => "poc",
        /// ISIRT member: confirms and handles incidents.
        IsirtMember => "isirt_member",
        /// ISIRT manager: assigns coordinators, reopens, accepts risk, sees anonymous reporters.
        IsirtManager => "isirt_manager",
        /// Read-only, including the journal.
        Auditor => "auditor",
        /// Administers users and tokens; reads everything, handles nothing.
        Admin => "admin",
        /// Crisis management (business continuity, disaster recovery): engaged
        /// when an incident is not under control or is class IV.
        CrisisManager => "crisis_manager",
        /// Senior management: reads incidents, to be kept informed of the
        /// significant ones; changes nothing but approves communications.
        SeniorManager => "senior_manager",
    }
);

impl Role {
    /// The role in words, as pages and the timeline name it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Reporter => "Reporter",
            Self::Poc => "Point of contact",
            Self::IsirtMember => "ISIRT member",
            Self::IsirtManager => "ISIRT manager",
            Self::Auditor => "Auditor",
            Self::Admin => "Admin",
            Self::CrisisManager => "Crisis manager",
            Self::SeniorManager => "Senior manager",
        }
    }
}

wire_enum!(
    /// Every action the application layer performs on behalf of a user.
    Action {
        ReportEvent => "report_event",
        ViewOwnEvents => "view_own_events",
        ViewEvents => "view_events",
        TriageEvent => "triage_event",
        AssessEvent => "assess_event",
        RejectEvent => "reject_event",
        ViewIncidents => "view_incidents",
        ConfirmIncident => "confirm_incident",
        UpdateIncident => "update_incident",
        AssignCoordinator => "assign_coordinator",
        OverrideSeverity => "override_severity",
        LinkEvent => "link_event",
        TransitionIncident => "transition_incident",
        ReopenIncident => "reopen_incident",
        MarkReviewed => "mark_reviewed",
        WriteLog => "write_log",
        ManageActions => "manage_actions",
        RecordReview => "record_review",
        ReportVulnerability => "report_vulnerability",
        ViewVulnerabilities => "view_vulnerabilities",
        AssessVulnerability => "assess_vulnerability",
        ResolveVulnerability => "resolve_vulnerability",
        AcceptVulnerabilityRisk => "accept_vulnerability_risk",
        SeeReporterIdentity => "see_reporter_identity",
        ReadJournal => "read_journal",
        ManageUsers => "manage_users",
        RestrictIncident => "restrict_incident",
        ViewEvidence => "view_evidence",
        HandleEvidence => "handle_evidence",
        VerifyEvidence => "verify_evidence",
        HoldEvidence => "hold_evidence",
        DisposeEvidence => "dispose_evidence",
        ManageIntake => "manage_intake",
        ManageJobs => "manage_jobs",
        MergeIncidents => "merge_incidents",
        ManageWebhooks => "manage_webhooks",
        ManageTargets => "manage_targets",
        ManageNotificationRules => "manage_notification_rules",
        ViewDocuments => "view_documents",
        ViewDocumentDrafts => "view_document_drafts",
        DraftDocument => "draft_document",
        ManageDocuments => "manage_documents",
        ViewTeams => "view_teams",
        ManageTeams => "manage_teams",
        ManageRota => "manage_rota",
        ViewContacts => "view_contacts",
        ManageContacts => "manage_contacts",
        Communicate => "communicate",
        ApproveCommunication => "approve_communication",
        ViewPlaybooks => "view_playbooks",
        ManagePlaybooks => "manage_playbooks",
        ApplyPlaybook => "apply_playbook",
        ManageClassification => "manage_classification",
        ViewExercises => "view_exercises",
        ManageExercises => "manage_exercises",
        ViewFigures => "view_figures",
    }
);

impl Action {
    /// The task in plain words, as a refusal names it: "ian may not
    /// *mark an incident reviewed*".
    pub fn task(self) -> &'static str {
        use Action::*;
        match self {
            ReportEvent => "report an event",
            ViewOwnEvents => "read their own reports",
            ViewEvents => "read events",
            TriageEvent => "take an event into triage",
            AssessEvent => "assess an event",
            RejectEvent => "find that an event is not an incident",
            ViewIncidents => "read incidents",
            ConfirmIncident => "confirm an incident",
            UpdateIncident => "change an incident",
            AssignCoordinator => "assign an incident's coordinator",
            OverrideSeverity => "override an incident's severity class",
            LinkEvent => "add an event to an incident",
            TransitionIncident => "move an incident through its lifecycle",
            ReopenIncident => "reopen an incident",
            MarkReviewed => "mark an incident reviewed",
            WriteLog => "write in an incident's log",
            ManageActions => "plan or update response actions",
            RecordReview => "record a lessons-learned review",
            ReportVulnerability => "report a vulnerability",
            ViewVulnerabilities => "read vulnerabilities",
            AssessVulnerability => "assess a vulnerability",
            ResolveVulnerability => "resolve a vulnerability",
            AcceptVulnerabilityRisk => "accept a vulnerability's risk",
            SeeReporterIdentity => "see who filed an anonymous report",
            ReadJournal => "read the journal",
            ManageUsers => "manage users and API tokens",
            RestrictIncident => "restrict an incident to named people",
            ViewEvidence => "read evidence records",
            HandleEvidence => "handle evidence",
            VerifyEvidence => "verify evidence",
            HoldEvidence => "place or release a legal hold",
            DisposeEvidence => "dispose of evidence",
            ManageIntake => "manage machine intake",
            ManageJobs => "manage background jobs",
            MergeIncidents => "merge one incident into another",
            ManageWebhooks => "manage webhook subscriptions",
            ManageTargets => "set the response-time targets",
            ViewDocuments => "read the policy, plan, procedures and awareness material in force",
            ViewDocumentDrafts => "read drafts and every version of the scheme's documents",
            DraftDocument => "draft a new version of a document, or record its review",
            ManageDocuments => {
                "create documents and change their owner, approvers and review interval"
            }
            ViewTeams => "read the teams, their rota and who is on duty",
            ManageTeams => "set up teams and change their members, lead and rotation",
            ManageRota => "put someone on duty for a stretch, or record a hand-over",
            ViewContacts => "read the contact directory",
            ManageContacts => "add and change entries of the contact directory",
            Communicate => "draft a communication about an incident, record it sent or withdraw it",
            ApproveCommunication => "approve a communication about an incident before it goes out",
            ViewPlaybooks => "read the playbooks and their versions",
            ManagePlaybooks => "create playbooks and save new versions of them",
            ApplyPlaybook => "apply a playbook to an incident, planning its actions",
            ViewExercises => "read the exercises, their injects and after-action reports",
            ManageExercises => "plan, start and end exercises of the scheme",
            ViewFigures => "read the scheme's figures and management summaries",
            ManageClassification => {
                "save a new version of the classification scale (categories, class names)"
            }
            ManageNotificationRules => {
                "change the notification rules (regimes, deadlines, calendars)"
            }
        }
    }

    /// The roles allowed to perform this action. This is the table in `docs/roles.md`.
    pub fn allowed_roles(self) -> &'static [Role] {
        use Action::*;
        use Role::*;
        match self {
            ReportEvent | ReportVulnerability => &[Reporter, Poc, IsirtMember, IsirtManager],
            ViewOwnEvents => &[Reporter, Poc, IsirtMember, IsirtManager],
            ViewEvents => &[Poc, IsirtMember, IsirtManager, Auditor, Admin],
            TriageEvent | AssessEvent => &[Poc, IsirtMember, IsirtManager],
            RejectEvent | ConfirmIncident | UpdateIncident | OverrideSeverity | LinkEvent
            | TransitionIncident | RecordReview | AssessVulnerability | ResolveVulnerability
            | RestrictIncident | HandleEvidence => &[IsirtMember, IsirtManager],
            // The crisis team records its decisions and plans its actions in the incident.
            WriteLog | ManageActions => &[IsirtMember, IsirtManager, CrisisManager],
            // Reading the incidents, and who to reach and who is on duty for them.
            ViewIncidents | ViewTeams | ViewContacts => &[
                Poc,
                IsirtMember,
                IsirtManager,
                Auditor,
                Admin,
                CrisisManager,
                SeniorManager,
            ],
            ViewVulnerabilities => &[Poc, IsirtMember, IsirtManager, Auditor, Admin],
            AssignCoordinator
            | ReopenIncident
            | MarkReviewed
            | AcceptVulnerabilityRisk
            | MergeIncidents => &[IsirtManager],
            SeeReporterIdentity => &[IsirtManager, Admin],
            ViewEvidence => &[IsirtMember, IsirtManager, Auditor, Admin],
            VerifyEvidence => &[IsirtMember, IsirtManager, Auditor],
            HoldEvidence | DisposeEvidence => &[IsirtManager],
            ReadJournal => &[Auditor, Admin],
            ViewDocuments => Role::ALL,
            ViewDocumentDrafts => &[
                IsirtMember,
                IsirtManager,
                Auditor,
                Admin,
                CrisisManager,
                SeniorManager,
            ],
            DraftDocument => &[IsirtMember, IsirtManager],
            ManageDocuments => &[IsirtManager],
            ManageTeams => &[IsirtManager],
            ManageRota => &[Poc, IsirtMember, IsirtManager],
            ManageContacts => &[IsirtMember, IsirtManager],
            Communicate => &[IsirtMember, IsirtManager, CrisisManager],
            // Who may speak for the organisation; an audience may narrow it further.
            ApproveCommunication => &[IsirtManager, CrisisManager, SeniorManager],
            ViewPlaybooks => &[
                Poc,
                IsirtMember,
                IsirtManager,
                Auditor,
                Admin,
                CrisisManager,
            ],
            ManagePlaybooks => &[IsirtManager, Admin],
            ViewExercises => &[
                Poc,
                IsirtMember,
                IsirtManager,
                Auditor,
                Admin,
                CrisisManager,
                SeniorManager,
            ],
            ManageExercises => &[IsirtManager, Admin],
            // Summary analyses and trends: for the team, those who answer
            // for it, and those who check it.
            ViewFigures => &[IsirtMember, IsirtManager, Auditor, SeniorManager],
            ApplyPlaybook => &[IsirtMember, IsirtManager],
            ManageUsers
            | ManageIntake
            | ManageJobs
            | ManageWebhooks
            | ManageTargets
            | ManageClassification
            | ManageNotificationRules => &[Admin],
        }
    }
}

/// Who is acting: a user name and the roles they hold; through an API
/// token, also the scopes the token was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    pub roles: Vec<Role>,
    /// The token's scopes; `None` for a person signed in, the command line
    /// and tokens made before scopes existed, which act with their roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<crate::Scope>>,
}

impl Actor {
    pub fn new(name: impl Into<String>, roles: Vec<Role>) -> Self {
        Self {
            name: name.into(),
            roles,
            scopes: None,
        }
    }

    /// The actor acting through a token of these scopes.
    #[must_use]
    pub fn with_scopes(mut self, scopes: Vec<crate::Scope>) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// The installation itself (first-start set-up, command-line administration).
    pub fn system() -> Self {
        Self::new("system", vec![Role::Admin])
    }

    /// Whether one of the actor's roles allows `action`, scopes aside.
    pub fn may_by_role(&self, action: Action) -> bool {
        action
            .allowed_roles()
            .iter()
            .any(|r| self.roles.contains(r))
    }

    /// Whether the actor's scopes (if it has any) cover `action`.
    pub fn in_scope(&self, action: Action) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|s| s.contains(&action.scope()))
    }

    pub fn may(&self, action: Action) -> bool {
        self.may_by_role(action) && self.in_scope(action)
    }

    /// Refuses with the allowed roles named when none of the actor's roles
    /// allow `action`, or with the scope named when the roles allow it but
    /// the token's scopes do not.
    pub fn require(&self, action: Action) -> Result<(), DomainError> {
        if self.may(action) {
            Ok(())
        } else if self.may_by_role(action) {
            Err(DomainError::OutOfScope {
                actor: self.name.clone(),
                action: format!("{} ({})", action.task(), action.as_str()),
                scope: action.scope().as_str().to_owned(),
            })
        } else {
            Err(DomainError::Forbidden {
                actor: self.name.clone(),
                action: format!("{} ({})", action.task(), action.as_str()),
                allowed: action
                    .allowed_roles()
                    .iter()
                    .map(|r| r.as_str().to_owned())
                    .collect(),
            })
        }
    }
}

/// Validates a user name: 1-64 characters of `a-z 0-9 . _ -`, starting with a letter or digit.
/// The user names [`parse_user_name`] accepts, as a JSON Schema pattern.
pub const USER_NAME_PATTERN: &str = "^[a-z0-9][a-z0-9._-]{0,63}$";

pub fn parse_user_name(raw: &str) -> Result<String, String> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && raw
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(
            "must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_roles_and_auditor_only_reads() {
        for &action in Action::ALL {
            assert!(!action.allowed_roles().is_empty(), "{action}");
            let auditor = Actor::new("a", vec![Role::Auditor]);
            if auditor.may(action) {
                assert!(
                    matches!(
                        action,
                        Action::ViewEvents
                            | Action::ViewIncidents
                            | Action::ViewVulnerabilities
                            | Action::ReadJournal
                            | Action::ViewEvidence
                            // A re-hash changes nothing; only the check itself is journaled.
                            | Action::VerifyEvidence
                            | Action::ViewDocuments
                            | Action::ViewFigures
                            | Action::ViewDocumentDrafts
                            | Action::ViewTeams
                            | Action::ViewContacts
                            | Action::ViewPlaybooks
                            | Action::ViewExercises
                    ),
                    "auditor may {action}"
                );
            }
        }
    }

    #[test]
    fn refusal_names_the_allowed_roles() {
        let err = Actor::new("bob", vec![Role::Reporter])
            .require(Action::ConfirmIncident)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "bob may not confirm an incident (confirm_incident); allowed roles: isirt_member, isirt_manager"
        );
    }

    #[test]
    fn user_names() {
        assert!(parse_user_name("alice.o-k_1").is_ok());
        for bad in ["", "Alice", "-x", "a b", &"a".repeat(65)] {
            assert!(parse_user_name(bad).is_err(), "{bad}");
        }
    }
}
