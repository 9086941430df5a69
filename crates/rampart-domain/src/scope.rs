//! What an API token may be used for. A token acts for its owner, within
//! the owner's roles, and only for the actions its scopes cover: a sensor's
//! token that may report events cannot read an incident, even when its
//! owner may. Every action belongs to exactly one scope.

use crate::classification::wire_enum;
use crate::role::{Action, Actor, Role};

wire_enum!(
    /// A family of actions an API token may be given.
    Scope {
        IntakeWrite => "intake:write",
        EventsRead => "events:read",
        EventsWrite => "events:write",
        IncidentsRead => "incidents:read",
        IncidentsWrite => "incidents:write",
        SchemeRead => "scheme:read",
        SchemeWrite => "scheme:write",
        JournalRead => "journal:read",
        Admin => "admin",
    }
);

impl Scope {
    /// What the scope lets a token do, for people choosing scopes.
    pub fn describe(self) -> &'static str {
        match self {
            Self::IntakeWrite => {
                "report events and vulnerabilities (sensors, SIEM and SOAR connectors)"
            }
            Self::EventsRead => "read events, and who reported them where the role allows",
            Self::EventsWrite => "triage and assess events",
            Self::IncidentsRead => "read incidents, vulnerabilities, evidence records and figures",
            Self::IncidentsWrite => {
                "work on incidents: confirm, change, log, act, handle evidence, communicate"
            }
            Self::SchemeRead => "read the scheme: documents, teams, contacts, playbooks, exercises",
            Self::SchemeWrite => {
                "change the scheme: documents, teams, rota, contacts, playbooks, exercises"
            }
            Self::JournalRead => "read the journal",
            Self::Admin => {
                "administer: users and tokens, intake, jobs, webhooks, targets, notification rules, classification"
            }
        }
    }

    /// The scopes whose every action one of `roles` may take: what a token
    /// of such an owner could use.
    pub fn allowed_for(roles: &[Role]) -> Vec<Scope> {
        let owner = Actor::new("owner", roles.to_vec());
        Self::ALL
            .iter()
            .copied()
            .filter(|s| {
                Action::ALL
                    .iter()
                    .any(|a| a.scope() == *s && owner.may_by_role(*a))
            })
            .collect()
    }
}

impl Action {
    /// The scope a token needs for the action.
    pub fn scope(self) -> Scope {
        use Action::*;
        match self {
            ReportEvent | ReportVulnerability => Scope::IntakeWrite,
            ViewOwnEvents | ViewEvents | SeeReporterIdentity => Scope::EventsRead,
            TriageEvent | AssessEvent | RejectEvent => Scope::EventsWrite,
            ViewIncidents | ViewVulnerabilities | ViewEvidence | ViewFigures => {
                Scope::IncidentsRead
            }
            ConfirmIncident
            | UpdateIncident
            | AssignCoordinator
            | OverrideSeverity
            | LinkEvent
            | TransitionIncident
            | ReopenIncident
            | MarkReviewed
            | WriteLog
            | ManageActions
            | RecordReview
            | AssessVulnerability
            | ResolveVulnerability
            | AcceptVulnerabilityRisk
            | RestrictIncident
            | HandleEvidence
            | VerifyEvidence
            | HoldEvidence
            | DisposeEvidence
            | MergeIncidents
            | Communicate
            | ApproveCommunication
            | ApplyPlaybook => Scope::IncidentsWrite,
            ViewDocuments | ViewDocumentDrafts | ViewTeams | ViewContacts | ViewPlaybooks
            | ViewExercises => Scope::SchemeRead,
            DraftDocument | ManageDocuments | ManageTeams | ManageRota | ManageContacts
            | ManagePlaybooks | ManageExercises => Scope::SchemeWrite,
            ReadJournal => Scope::JournalRead,
            ManageUsers
            | ManageIntake
            | ManageJobs
            | ManageWebhooks
            | ManageTargets
            | ManageNotificationRules
            | ManageClassification => Scope::Admin,
        }
    }
}

/// Parses a list of scopes, naming the one not known; sorted, without
/// repeats. At least one.
pub fn parse_scopes<S: AsRef<str>>(raw: &[S]) -> Result<Vec<Scope>, String> {
    if raw.is_empty() {
        return Err(format!(
            "give at least one scope: {}",
            Scope::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut scopes = raw
        .iter()
        .map(|s| Scope::parse(s.as_ref().trim()))
        .collect::<Result<Vec<_>, _>>()?;
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sensor_owner_has_only_the_intake_scope_and_reading_its_reports() {
        assert_eq!(
            Scope::allowed_for(&[Role::Reporter]),
            [Scope::IntakeWrite, Scope::EventsRead, Scope::SchemeRead]
        );
        assert_eq!(
            Scope::allowed_for(&[Role::Admin]).last(),
            Some(&Scope::Admin)
        );
        // Auditors verify evidence (an incidents:write action), nothing else there.
        assert!(!Scope::allowed_for(&[Role::Auditor]).contains(&Scope::EventsWrite));
    }

    #[test]
    fn a_scoped_actor_may_do_only_what_both_its_roles_and_scopes_allow() {
        let member = Actor::new("ian", vec![Role::IsirtMember]);
        assert!(member.may(Action::UpdateIncident));
        let reader = member.clone().with_scopes(vec![Scope::IncidentsRead]);
        assert!(reader.may(Action::ViewIncidents));
        assert!(!reader.may(Action::UpdateIncident));
        let refused = reader.require(Action::UpdateIncident).unwrap_err();
        assert!(refused.to_string().contains("incidents:write"), "{refused}");
        // A scope does not give what the roles do not.
        let wide = Actor::new("rita", vec![Role::Reporter]).with_scopes(vec![Scope::Admin]);
        assert!(!wide.may(Action::ManageUsers));
    }

    #[test]
    fn scope_lists_are_checked_and_tidied() {
        assert_eq!(
            parse_scopes(&["incidents:read", "intake:write", "incidents:read"]).unwrap(),
            [Scope::IntakeWrite, Scope::IncidentsRead]
        );
        assert!(
            parse_scopes::<&str>(&[])
                .unwrap_err()
                .contains("intake:write")
        );
        assert!(
            parse_scopes(&["incidents"])
                .unwrap_err()
                .contains("incidents")
        );
    }
}
