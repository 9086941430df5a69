//! Notices: who is told what, and when. A change that someone must hear of
//! (an escalated event, a significant incident, a crisis, an assignment, a
//! closure) yields a [`Notice`] in the unit that commits the change; the
//! notice is then sent to the people [`Audience::of`] names, on the channels
//! their [`NoticePreferences`] choose.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::classification::wire_enum;
use crate::journal::{EventAssessed, IncidentTransition, IncidentUpdated};
use crate::{
    EventNumber, EventStatus, Incident, IncidentNumber, IncidentStatus, JournalAction,
    ResponseAction, Role, SeverityClass, SourceKind, Timestamp,
};

wire_enum!(
    /// What a notice is about.
    NoticeKind {
        /// An event was assessed as a possible incident: the ISIRT confirms or rejects it.
        EventEscalated => "event_escalated",
        /// An incident is significant (class III or IV): the ISIRT manager is told at once.
        IncidentSignificant => "incident_significant",
        /// An incident went into crisis handling.
        IncidentCrisis => "incident_crisis",
        /// Someone became an incident's coordinator.
        IncidentAssigned => "incident_assigned",
        /// A response action was given to someone.
        ActionAssigned => "action_assigned",
        /// One's response action is due within a day.
        ActionDueSoon => "action_due_soon",
        /// One's response action is past its due time and not done.
        ActionOverdue => "action_overdue",
        /// An incident was closed.
        IncidentClosed => "incident_closed",
        /// What became of one's own report: handled as an incident, or its incident closed.
        ReportUpdate => "report_update",
        /// An incident's response-time target or notification clock reached a
        /// rung of the escalation ladder (e.g. 75 % or 100 % of its time).
        DeadlineEscalated => "deadline_escalated",
        /// A person reported an event: the point of contact on duty is told.
        EventReported => "event_reported",
        /// A document one owns is due for review within 30 days.
        DocumentReviewDue => "document_review_due",
        /// A document one owns is past its review date.
        DocumentReviewOverdue => "document_review_overdue",
        /// A communication about an incident awaits approval: those who may approve it are told.
        CommunicationAwaitingApproval => "communication_awaiting_approval",
        /// One's communication was approved and may go out.
        CommunicationApproved => "communication_approved",
        /// An improvement action one owns is due within a day.
        ImprovementDueSoon => "improvement_due_soon",
        /// An improvement action one owns is past its due date and not closed.
        ImprovementOverdue => "improvement_overdue",
    }
);

wire_enum!(
    /// Where a person is told.
    Channel {
        /// The notification centre in Rampart (the bell).
        InApp => "in_app",
        /// E-mail to the address in the person's preferences.
        Email => "email",
    }
);

impl NoticeKind {
    /// What the kind is, in plain words (preferences, lists).
    pub fn label(self) -> &'static str {
        match self {
            Self::EventEscalated => "An event is escalated as a possible incident",
            Self::IncidentSignificant => "An incident is significant (class III or IV)",
            Self::IncidentCrisis => "An incident goes into crisis handling",
            Self::IncidentAssigned => "You become an incident's coordinator",
            Self::ActionAssigned => "A response action is given to you",
            Self::ActionDueSoon => "A response action of yours is due within a day",
            Self::ActionOverdue => "A response action of yours is overdue",
            Self::IncidentClosed => "An incident you are involved in is closed",
            Self::ReportUpdate => "What became of your own reports",
            Self::DeadlineEscalated => "A deadline of an incident is near or past (escalation)",
            Self::EventReported => {
                "A person reports an event while you are the point of contact on duty"
            }
            Self::DocumentReviewDue => "A document you own is due for review within 30 days",
            Self::DocumentReviewOverdue => "A document you own is past its review date",
            Self::CommunicationAwaitingApproval => {
                "A communication about an incident awaits your approval"
            }
            Self::CommunicationApproved => "A communication you drafted is approved",
            Self::ImprovementDueSoon => "An improvement action of yours is due within a day",
            Self::ImprovementOverdue => "An improvement action of yours is overdue",
        }
    }

    /// Kinds nobody may silence in the app: the standard asks that the
    /// ISIRT manager hears of significant incidents directly, and that
    /// crisis handling is engaged.
    pub fn always_in_app(self) -> bool {
        matches!(self, Self::IncidentSignificant | Self::IncidentCrisis)
    }
}

/// Something people must be told of, as the unit that caused it decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The record it is about.
    pub subject: Subject,
    /// Who made the change (not told of their own change).
    pub actor: String,
    pub at: Timestamp,
    /// The escalating point of contact ticked "looks significant".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub significant: bool,
    /// The response action given to someone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<u32>,
    /// The person a notice names (an action's owner, a new coordinator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// More people it names (an escalation's rung).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub told: Vec<String>,
    /// What it is about, in words (an escalation: the deadline and how much of it is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// The communication it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication: Option<u32>,
}

/// The record a notice is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Event(EventNumber),
    Incident(IncidentNumber),
    /// A vulnerability (an improvement action its review decided).
    Vulnerability(crate::VulnerabilityNumber),
    /// A policy, plan, procedure or awareness document.
    Document(crate::DocumentId),
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Event(n) => n.fmt(f),
            Subject::Incident(n) => n.fmt(f),
            Subject::Vulnerability(n) => n.fmt(f),
            Subject::Document(id) => id.fmt(f),
        }
    }
}

impl Notice {
    /// A notice Rampart itself raises (a deadline reached), about a
    /// response action and its owner.
    pub fn about_action(
        kind: NoticeKind,
        incident: IncidentNumber,
        action: &ResponseAction,
        at: Timestamp,
    ) -> Self {
        let mut notice = Notice::new(kind, Subject::Incident(incident), "system", at);
        notice.action = Some(action.id);
        notice.person = Some(action.owner.as_str().trim().to_owned());
        notice
    }

    /// A notice Rampart itself raises (a date reached) about `subject`.
    pub fn raised(kind: NoticeKind, subject: Subject, at: Timestamp) -> Self {
        Notice::new(kind, subject, "system", at)
    }

    fn new(kind: NoticeKind, subject: Subject, actor: &str, at: Timestamp) -> Self {
        Self {
            kind,
            subject,
            actor: actor.to_owned(),
            at,
            significant: false,
            action: None,
            person: None,
            told: Vec::new(),
            about: None,
            communication: None,
        }
    }

    /// The notices a journal entry calls for (none for most).
    pub fn of(action: &JournalAction, entity: &str, actor: &str, at: Timestamp) -> Vec<Notice> {
        let incident = |n: IncidentNumber| Subject::Incident(n);
        let on = |kind, subject| Notice::new(kind, subject, actor, at);
        match action {
            // A person's report, for the point of contact on duty (a
            // sensor's alerts come too often to be told one by one).
            JournalAction::EventReported(reported)
                if reported.0.source.kind == SourceKind::Person =>
            {
                vec![on(
                    NoticeKind::EventReported,
                    Subject::Event(reported.0.number),
                )]
            }
            JournalAction::EventAssessed(EventAssessed::ByContact {
                status: EventStatus::Escalated,
                assessment,
            }) => match entity.parse() {
                Ok(event) => {
                    let mut notice = on(NoticeKind::EventEscalated, Subject::Event(event));
                    notice.significant = assessment.as_ref().is_some_and(|a| a.escalate);
                    vec![notice]
                }
                Err(_) => vec![],
            },
            JournalAction::IncidentConfirmed(confirmed) => {
                let mut out = vec![];
                if is_significant(confirmed.severity.class) {
                    out.push(on(
                        NoticeKind::IncidentSignificant,
                        incident(confirmed.number),
                    ));
                }
                if confirmed.coordinator != actor {
                    let mut notice = on(NoticeKind::IncidentAssigned, incident(confirmed.number));
                    notice.person = Some(confirmed.coordinator.clone());
                    out.push(notice);
                }
                // The actions of the playbooks applied with the confirmation.
                for action in &confirmed.actions {
                    out.extend(assigned(action, confirmed.number, actor, at));
                }
                out
            }
            JournalAction::IncidentUpdated(update) => match entity.parse() {
                Ok(number) => updated(update, number, actor, at),
                Err(_) => vec![],
            },
            JournalAction::IncidentTransition(IncidentTransition { to, .. }) => {
                let kind = match to {
                    IncidentStatus::Crisis => NoticeKind::IncidentCrisis,
                    IncidentStatus::Closed => NoticeKind::IncidentClosed,
                    _ => return vec![],
                };
                match entity.parse() {
                    Ok(number) => vec![on(kind, incident(number))],
                    Err(_) => vec![],
                }
            }
            JournalAction::EventLinked(_) => match entity.parse() {
                Ok(event) => vec![on(NoticeKind::ReportUpdate, Subject::Event(event))],
                Err(_) => vec![],
            },
            JournalAction::IncidentEventLinked(linked) => {
                vec![on(NoticeKind::ReportUpdate, Subject::Event(linked.event))]
            }
            JournalAction::IncidentActionAdded(action) => match entity.parse() {
                Ok(number) => assigned(action, number, actor, at),
                Err(_) => vec![],
            },
            JournalAction::IncidentCommunicationDrafted(c)
                if c.status == crate::CommunicationStatus::AwaitingApproval =>
            {
                match entity.parse() {
                    Ok(number) => {
                        let mut notice =
                            on(NoticeKind::CommunicationAwaitingApproval, incident(number));
                        notice.communication = Some(c.id);
                        vec![notice]
                    }
                    Err(_) => vec![],
                }
            }
            JournalAction::IncidentCommunicationApproved(c) => match entity.parse() {
                Ok(number) if c.drafted_by != actor => {
                    let mut notice = on(NoticeKind::CommunicationApproved, incident(number));
                    notice.communication = Some(c.id);
                    notice.person = Some(c.drafted_by.clone());
                    vec![notice]
                }
                _ => vec![],
            },
            JournalAction::IncidentPlaybookApplied(applied) => match entity.parse() {
                Ok(number) => applied
                    .actions
                    .iter()
                    .flat_map(|a| assigned(a, number, actor, at))
                    .collect(),
                Err(_) => vec![],
            },
            JournalAction::IncidentEscalated(step) => match entity.parse() {
                Ok(number) => {
                    let mut notice = on(NoticeKind::DeadlineEscalated, incident(number));
                    notice.told = step.told.clone();
                    notice.about = Some(step.describe());
                    vec![notice]
                }
                Err(_) => vec![],
            },
            _ => vec![],
        }
    }
}

/// Class III and IV are significant.
pub fn is_significant(class: SeverityClass) -> bool {
    matches!(class, SeverityClass::III | SeverityClass::IV)
}

fn assigned(
    action: &ResponseAction,
    number: IncidentNumber,
    actor: &str,
    at: Timestamp,
) -> Vec<Notice> {
    let owner = action.owner.as_str().trim();
    if owner == actor || crate::parse_user_name(owner).is_err() {
        return vec![];
    }
    let mut notice = Notice::new(
        NoticeKind::ActionAssigned,
        Subject::Incident(number),
        actor,
        at,
    );
    notice.action = Some(action.id);
    notice.person = Some(owner.to_owned());
    vec![notice]
}

/// A change of class into III or IV, or a new coordinator.
fn updated(
    update: &IncidentUpdated,
    number: IncidentNumber,
    actor: &str,
    at: Timestamp,
) -> Vec<Notice> {
    let mut out = vec![];
    let class_of = |v: &serde_json::Value| {
        v.get("class")
            .and_then(|c| c.as_str())
            .and_then(|c| SeverityClass::parse(c).ok())
    };
    if let Some(change) = update.changed.get("severity") {
        let before = class_of(&change.before).is_some_and(is_significant);
        let after = class_of(&change.after).is_some_and(is_significant);
        if after && !before {
            out.push(Notice::new(
                NoticeKind::IncidentSignificant,
                Subject::Incident(number),
                actor,
                at,
            ));
        }
    }
    if let Some(change) = update.changed.get("coordinator")
        && let Some(name) = change.after.as_str()
        && name != actor
    {
        let mut notice = Notice::new(
            NoticeKind::IncidentAssigned,
            Subject::Incident(number),
            actor,
            at,
        );
        notice.person = Some(name.to_owned());
        out.push(notice);
    }
    out
}

/// Why a person is told: as one of the team handling the record, or as the
/// reporter of an event (who is told only what became of their report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Team,
    Reporter,
}

/// The roles a notice goes to, beside the people it names.
pub fn roles_told(notice: &Notice, class: Option<SeverityClass>) -> &'static [Role] {
    use Role::*;
    match notice.kind {
        NoticeKind::EventEscalated if notice.significant => &[IsirtMember, IsirtManager],
        NoticeKind::EventEscalated => &[IsirtMember],
        NoticeKind::IncidentSignificant if class == Some(SeverityClass::IV) => {
            &[IsirtManager, CrisisManager, SeniorManager]
        }
        NoticeKind::IncidentSignificant => &[IsirtManager],
        NoticeKind::IncidentCrisis => &[IsirtManager, CrisisManager, SeniorManager],
        NoticeKind::IncidentAssigned
        | NoticeKind::ActionAssigned
        | NoticeKind::ActionDueSoon
        | NoticeKind::ActionOverdue
        | NoticeKind::IncidentClosed
        | NoticeKind::ReportUpdate
        | NoticeKind::DeadlineEscalated
        | NoticeKind::EventReported
        | NoticeKind::DocumentReviewDue
        | NoticeKind::DocumentReviewOverdue
        | NoticeKind::CommunicationApproved
        | NoticeKind::ImprovementDueSoon
        | NoticeKind::ImprovementOverdue => &[],
        // Narrowed to the audience's approvers where the notice is planned.
        NoticeKind::CommunicationAwaitingApproval => &[IsirtManager, CrisisManager, SeniorManager],
    }
}

/// The people an incident's closure concerns: its coordinator, the owners
/// of its actions who are users, and those it is restricted to.
pub fn involved_in(incident: &Incident) -> BTreeSet<String> {
    let mut people: BTreeSet<String> = incident.restricted_to.iter().cloned().collect();
    people.insert(incident.coordinator.clone());
    people.insert(incident.confirmed_by.clone());
    for action in &incident.actions {
        let owner = action.owner.as_str().trim();
        if crate::parse_user_name(owner).is_ok() {
            people.insert(owner.to_owned());
        }
    }
    people
}

/// One person's notification: what they were told, where, and whether
/// they have read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxItem {
    /// `<notice>.<user>`: the same notice reaches a person once.
    pub id: String,
    pub user: String,
    pub kind: NoticeKind,
    pub audience: Audience,
    /// The record it is about: an incident or event number.
    pub subject: String,
    /// One line: what happened.
    pub title: String,
    /// A few lines of detail; empty for a reporter or for TLP:RED content.
    pub body: String,
    /// Where to look, a path of the web UI (`/incidents/INC-2026-0001`).
    pub link: String,
    /// The record's TLP: TLP:RED keeps everything but the link out of e-mail.
    pub tlp: Option<crate::Tlp>,
    /// Who made the change.
    pub actor: String,
    pub created_at: Timestamp,
    /// The channels it went to.
    pub channels: Vec<Channel>,
    pub read_at: Option<Timestamp>,
}

impl InboxItem {
    /// Whether it shows in the notification centre.
    pub fn listed(&self) -> bool {
        self.channels.contains(&Channel::InApp)
    }
}

/// What one person wants to be told, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticePreferences {
    pub user: String,
    /// Where e-mail goes; none: no e-mail.
    pub email: Option<String>,
    /// Kinds silenced in the app (never [`NoticeKind::always_in_app`] ones).
    #[serde(default)]
    pub muted_in_app: BTreeSet<NoticeKind>,
    /// Kinds not sent by e-mail.
    #[serde(default)]
    pub muted_by_email: BTreeSet<NoticeKind>,
}

impl NoticePreferences {
    /// Everything on every channel, no address yet.
    pub fn default_for(user: &str) -> Self {
        Self {
            user: user.to_owned(),
            email: None,
            muted_in_app: BTreeSet::new(),
            muted_by_email: BTreeSet::new(),
        }
    }

    /// The channels a notice of `kind` goes to. A reporter who reported
    /// anonymously is told only in the app, where nobody else looks.
    pub fn channels(&self, kind: NoticeKind, anonymous: bool) -> Vec<Channel> {
        let mut out = vec![];
        if kind.always_in_app() || !self.muted_in_app.contains(&kind) {
            out.push(Channel::InApp);
        }
        if self.email.is_some() && !anonymous && !self.muted_by_email.contains(&kind) {
            out.push(Channel::Email);
        }
        out
    }

    /// Refuses silencing what may not be silenced.
    pub fn validate(&self) -> Result<(), crate::DomainError> {
        if let Some(kind) = self.muted_in_app.iter().find(|k| k.always_in_app()) {
            return Err(crate::DomainError::field(
                "muted_in_app",
                format!(
                    "`{kind}` cannot be silenced in the app: significant incidents and crises always reach the people they concern"
                ),
            ));
        }
        Ok(())
    }
}

/// Validates an e-mail address for notifications: `local@domain`, at most
/// 254 characters, a local part of printable ASCII without spaces or
/// quotes, a domain of dot-separated labels of letters, digits and hyphens.
/// Returns it with the domain in lower case.
pub fn parse_email(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let refuse = |why: &str| Err(format!("`{raw}` is not an e-mail address: {why}"));
    if raw.is_empty() {
        return Err("must not be empty".into());
    }
    if raw.len() > 254 {
        return refuse("longer than 254 characters");
    }
    let Some((local, domain)) = raw.rsplit_once('@') else {
        return refuse("it has no `@`");
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b));
    if !local_ok {
        return refuse(
            "the part before `@` may hold letters, digits and !#$%&'*+-/=?^_`{|}~. only",
        );
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !domain_ok {
        return refuse("the domain must be dot-separated names of letters, digits and hyphens");
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::FieldChange;
    use serde_json::json;

    fn at() -> Timestamp {
        Timestamp::from_unix(1_800_000_000).unwrap()
    }

    #[test]
    fn a_crisis_and_a_closure_are_told_other_moves_are_not() {
        let move_to = |to| {
            JournalAction::IncidentTransition(IncidentTransition {
                from: IncidentStatus::Responding,
                to,
                reason: crate::Text::new("r").unwrap(),
                resolution: None,
                contained_at: None,
                ended_at: None,
                impact_ended_at: None,
            })
        };
        let kinds = |to| {
            Notice::of(&move_to(to), "INC-2026-0001", "ian", at())
                .into_iter()
                .map(|n| n.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds(IncidentStatus::Crisis), [NoticeKind::IncidentCrisis]);
        assert_eq!(kinds(IncidentStatus::Closed), [NoticeKind::IncidentClosed]);
        assert!(kinds(IncidentStatus::Recovering).is_empty());
    }

    #[test]
    fn a_class_rising_into_three_is_significant_once() {
        let change = |before: &str, after: &str| {
            let mut update = IncidentUpdated {
                changed: Default::default(),
            };
            update.changed.insert(
                "severity".into(),
                FieldChange {
                    before: json!({"class": before}),
                    after: json!({"class": after}),
                },
            );
            Notice::of(
                &JournalAction::IncidentUpdated(update),
                "INC-2026-0001",
                "ian",
                at(),
            )
        };
        assert_eq!(change("II", "III").len(), 1);
        assert!(change("III", "IV").is_empty(), "already significant");
        assert!(change("I", "II").is_empty());
    }

    #[test]
    fn nobody_silences_significant_incidents_in_the_app() {
        let mut prefs = NoticePreferences::default_for("mia");
        prefs.muted_in_app.insert(NoticeKind::IncidentSignificant);
        assert!(
            prefs
                .validate()
                .unwrap_err()
                .to_string()
                .contains("muted_in_app")
        );
        assert_eq!(
            prefs.channels(NoticeKind::IncidentSignificant, false),
            [Channel::InApp]
        );
        prefs.email = Some("mia@example.org".into());
        prefs.muted_by_email.insert(NoticeKind::IncidentClosed);
        assert_eq!(
            prefs.channels(NoticeKind::ReportUpdate, false),
            [Channel::InApp, Channel::Email]
        );
        assert_eq!(
            prefs.channels(NoticeKind::ReportUpdate, true),
            [Channel::InApp],
            "an anonymous reporter is told in the app only"
        );
        assert_eq!(
            prefs.channels(NoticeKind::IncidentClosed, false),
            [Channel::InApp]
        );
    }

    #[test]
    fn addresses_are_checked_and_their_domain_lowered() {
        assert_eq!(parse_email(" Mia@Example.ORG ").unwrap(), "Mia@example.org");
        for bad in [
            "",
            "mia",
            "mia@",
            "@example.org",
            "mia@localhost",
            "mia@exa mple.org",
            "a..b@example.org",
            "mia@-x.org",
            "\"m\"@example.org",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn class_four_reaches_the_crisis_role_and_senior_management() {
        let notice = Notice::new(
            NoticeKind::IncidentSignificant,
            Subject::Incident("INC-2026-0001".parse().unwrap()),
            "ian",
            at(),
        );
        assert!(roles_told(&notice, Some(SeverityClass::IV)).contains(&Role::CrisisManager));
        assert_eq!(
            roles_told(&notice, Some(SeverityClass::III)),
            [Role::IsirtManager]
        );
    }
}
