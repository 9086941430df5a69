//! Who is told of a notice, on which channels, and in which words.
//!
//! The team is told according to [`roles_told`] and the people a notice
//! names, each only if they may read the record (need-to-know included).
//! A reporter is told only what became of their own report. Nobody is told
//! of their own change.

use std::collections::BTreeSet;

use rampart_domain::{
    Actor, Audience, Channel, Duty, Event, Incident, Notice, NoticeKind, Role, SourceKind, Subject,
    Tlp, involved_in, roles_told,
};
use rampart_store::{Entity, EntityRef, User};

use crate::{App, AppError, RESERVED_NAMES};

/// One person's notification, before it is written.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub user: String,
    pub audience: Audience,
    pub subject: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub tlp: Option<Tlp>,
    pub channels: Vec<Channel>,
}

/// Most events of a closed incident whose reporters are told.
const MAX_REPORTERS: usize = 1000;

/// Most characters of a record's description quoted in a notification.
const EXCERPT: usize = 400;

fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(EXCERPT).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn actor_of(user: &User) -> Actor {
    Actor::new(user.name.clone(), user.roles.clone())
}

/// The words of a notification: title, body, link.
pub(super) struct Words {
    pub title: String,
    pub body: String,
    /// A path of the web UI.
    pub link: String,
}

impl App {
    /// What a webhook is told of a notice: what the ISIRT is told, or only
    /// the number, the kind of news and the link when the record is
    /// restricted to named people or TLP:RED (then `true`). None for a
    /// reporter's own news, or a record that is gone.
    pub(super) async fn hook_words(
        &self,
        notice: &Notice,
    ) -> Result<Option<(Words, bool)>, AppError> {
        if notice.kind == NoticeKind::ReportUpdate {
            return Ok(None);
        }
        let (words, secret) = match &notice.subject {
            Subject::Event(number) => match self.stored_event(*number).await? {
                Some(event) => (event_words(notice, &event), event.tlp == Tlp::Red),
                None => return Ok(None),
            },
            Subject::Incident(number) => match self.stored_incident(*number).await? {
                Some(incident) => (
                    incident_words(notice, &incident),
                    incident.tlp == Tlp::Red || !incident.restricted_to.is_empty(),
                ),
                None => return Ok(None),
            },
            Subject::Vulnerability(number) => match self.stored_vulnerability(*number).await? {
                Some(v) => (
                    improvement_words(notice, &number.to_string(), v.title.as_str()),
                    v.tlp == Tlp::Red,
                ),
                None => return Ok(None),
            },
            Subject::Document(id) => (document_words(notice, id), false),
        };
        if !secret {
            return Ok(Some((words, false)));
        }
        let about = super::deliver::about(notice.kind);
        Ok(Some((
            Words {
                title: format!("{}: {about}", notice.subject),
                body: "Its content is not sent outside Rampart; open it there.".into(),
                link: words.link,
            },
            true,
        )))
    }

    /// The people a notice reaches and what each is told.
    /// `exercise` is the exercise the notice's record is part of, if any.
    pub(super) async fn plan(
        &self,
        notice: &Notice,
        exercise: Option<&rampart_domain::ExerciseId>,
    ) -> Result<Vec<Planned>, AppError> {
        let users: Vec<User> = self
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled && u.name != notice.actor)
            .collect();
        let mut told: Vec<(User, Audience, Words, Option<Tlp>, bool)> = vec![];
        match &notice.subject {
            Subject::Event(number) => {
                let Some(event) = self.stored_event(*number).await? else {
                    return Ok(vec![]);
                };
                match notice.kind {
                    NoticeKind::ReportUpdate => {
                        if let Some(user) = reporter(&event, &users) {
                            let words = reporter_words(&event, false);
                            told.push((
                                user.clone(),
                                Audience::Reporter,
                                words,
                                None,
                                event.anonymous,
                            ));
                        }
                    }
                    _ => {
                        let roles = roles_told(notice, None);
                        // Where a rota names who is on ISIRT duty when the
                        // event was escalated, that person hears of it in
                        // place of every member (managers as before). A
                        // person's report goes to the point of contact on
                        // duty, and to nobody when no rota names one.
                        let on_duty = match notice.kind {
                            NoticeKind::EventEscalated => {
                                self.on_duty(Duty::Isirt, notice.at).await?
                            }
                            NoticeKind::EventReported => Some(
                                self.on_duty(Duty::Poc, notice.at)
                                    .await?
                                    .unwrap_or_default(),
                            ),
                            _ => None,
                        };
                        let concerned = |user: &User| match &on_duty {
                            Some(people) => {
                                people.contains(&user.name)
                                    || user
                                        .roles
                                        .iter()
                                        .any(|r| *r != Role::IsirtMember && roles.contains(r))
                            }
                            None => user.roles.iter().any(|r| roles.contains(r)),
                        };
                        for user in &users {
                            if concerned(user) && event.readable_by(&actor_of(user)) {
                                let words = event_words(notice, &event);
                                told.push((
                                    user.clone(),
                                    Audience::Team,
                                    words,
                                    Some(event.tlp),
                                    false,
                                ));
                            }
                        }
                    }
                }
            }
            Subject::Vulnerability(number) => {
                // An improvement action's reminder: its owner, if they may
                // read the vulnerability register.
                let Some(v) = self.stored_vulnerability(*number).await? else {
                    return Ok(vec![]);
                };
                let owner = notice.person.as_deref().unwrap_or_default();
                if let Some(user) = users.iter().find(|u| u.name == owner)
                    && actor_of(user).may(rampart_domain::Action::ViewVulnerabilities)
                {
                    told.push((
                        user.clone(),
                        Audience::Team,
                        improvement_words(notice, &number.to_string(), v.title.as_str()),
                        Some(v.tlp),
                        false,
                    ));
                }
            }
            Subject::Document(id) => {
                // A review reminder: its owner, who may read every version.
                let owner = notice.person.as_deref().unwrap_or_default();
                if let Some(user) = users.iter().find(|u| u.name == owner) {
                    told.push((
                        user.clone(),
                        Audience::Team,
                        document_words(notice, id),
                        None,
                        false,
                    ));
                }
            }
            Subject::Incident(number) => {
                let Some(incident) = self.stored_incident(*number).await? else {
                    return Ok(vec![]);
                };
                let mut roles = roles_told(notice, Some(incident.severity.class));
                // Only those who may approve a communication to its audience.
                if notice.kind == NoticeKind::CommunicationAwaitingApproval {
                    let pending = notice
                        .communication
                        .and_then(|id| incident.communication(id).ok())
                        .filter(|c| {
                            c.status == rampart_domain::CommunicationStatus::AwaitingApproval
                        });
                    match pending {
                        Some(c) => roles = c.audience.approvers(),
                        None => return Ok(vec![]),
                    }
                }
                let mut named: BTreeSet<String> = notice.person.iter().cloned().collect();
                named.extend(notice.told.iter().cloned());
                if notice.kind == NoticeKind::IncidentCrisis {
                    named.insert(incident.coordinator.clone());
                }
                if notice.kind == NoticeKind::IncidentClosed {
                    named.extend(involved_in(&incident));
                }
                for user in &users {
                    let concerned =
                        named.contains(&user.name) || user.roles.iter().any(|r| roles.contains(r));
                    if concerned && incident.readable_by(&actor_of(user)) {
                        let words = incident_words(notice, &incident);
                        told.push((
                            user.clone(),
                            Audience::Team,
                            words,
                            Some(incident.tlp),
                            false,
                        ));
                    }
                }
                if notice.kind == NoticeKind::IncidentClosed {
                    self.tell_reporters(&incident, &users, &mut told).await?;
                }
            }
        }
        // An exercise's records reach only its audience, marked as such.
        if let Some(audience) = self.exercise_audience(exercise).await? {
            told.retain(|(user, ..)| audience.contains(&user.name));
            for (_, _, words, _, _) in &mut told {
                words.title = format!("[EXERCISE] {}", words.title);
            }
        }
        let mut planned = Vec::with_capacity(told.len());
        let mut seen = BTreeSet::new();
        for (user, audience, words, tlp, anonymous) in told {
            if !seen.insert(user.name.clone()) {
                continue;
            }
            let prefs = self.preferences_of(&user.name).await?;
            let mut channels = prefs.channels(notice.kind, anonymous);
            if self.mail.is_none() {
                channels.retain(|c| *c != Channel::Email);
            }
            if channels.is_empty() {
                continue;
            }
            planned.push(Planned {
                user: user.name,
                audience,
                subject: match audience {
                    Audience::Team => notice.subject.to_string(),
                    Audience::Reporter => words.link.rsplit('/').next().unwrap_or("").to_owned(),
                },
                title: words.title,
                body: words.body,
                link: words.link,
                tlp,
                channels,
            });
        }
        Ok(planned)
    }

    /// The reporters of a closed incident's events: told that the incident
    /// their report was part of is closed, nothing more.
    async fn tell_reporters(
        &self,
        incident: &Incident,
        users: &[User],
        told: &mut Vec<(User, Audience, Words, Option<Tlp>, bool)>,
    ) -> Result<(), AppError> {
        for number in incident.events.iter().take(MAX_REPORTERS) {
            let Some(event) = self.stored_event(*number).await? else {
                continue;
            };
            if let Some(user) = reporter(&event, users)
                && !told.iter().any(|(u, ..)| u.name == user.name)
            {
                let words = reporter_words(&event, true);
                told.push((
                    user.clone(),
                    Audience::Reporter,
                    words,
                    None,
                    event.anonymous,
                ));
            }
        }
        Ok(())
    }

    /// The exercise a notice's record is part of, if any.
    pub(super) async fn exercise_of(
        &self,
        subject: &Subject,
    ) -> Result<Option<rampart_domain::ExerciseId>, AppError> {
        Ok(match subject {
            Subject::Event(n) => self.stored_event(*n).await?.and_then(|e| e.exercise),
            Subject::Incident(n) => self.stored_incident(*n).await?.and_then(|i| i.exercise),
            Subject::Vulnerability(_) | Subject::Document(_) => None,
        })
    }

    async fn stored_event(
        &self,
        number: rampart_domain::EventNumber,
    ) -> Result<Option<Event>, AppError> {
        Ok(self
            .store
            .get(&EntityRef::Event(number))
            .await?
            .and_then(Entity::into_event))
    }

    async fn stored_vulnerability(
        &self,
        number: rampart_domain::VulnerabilityNumber,
    ) -> Result<Option<rampart_domain::Vulnerability>, AppError> {
        Ok(self
            .store
            .get(&EntityRef::Vulnerability(number))
            .await?
            .and_then(Entity::into_vulnerability))
    }

    async fn stored_incident(
        &self,
        number: rampart_domain::IncidentNumber,
    ) -> Result<Option<Incident>, AppError> {
        Ok(self
            .store
            .get(&EntityRef::Incident(number))
            .await?
            .and_then(Entity::into_incident))
    }
}

/// The person who filed a report themselves, if they have an account here
/// (not the public form, not a sensor).
fn reporter<'a>(event: &Event, users: &'a [User]) -> Option<&'a User> {
    if event.source.kind != SourceKind::Person {
        return None;
    }
    let name = event.submitted_by.as_deref()?;
    if RESERVED_NAMES.contains(&name) {
        return None;
    }
    users.iter().find(|u| u.name == name)
}

fn reporter_words(event: &Event, closed: bool) -> Words {
    let n = event.number;
    Words {
        title: if closed {
            format!("Your report {n}: the incident it was part of is closed")
        } else {
            format!("Your report {n} is being handled as an incident")
        },
        body: if closed {
            "Thank you for reporting it. The incident response team has finished handling it."
                .into()
        } else {
            "Thank you for reporting it. The incident response team is handling it; you will be told when it is closed."
                .into()
        },
        link: format!("/events/{n}"),
    }
}

fn event_words(notice: &Notice, event: &Event) -> Words {
    let n = event.number;
    if notice.kind == NoticeKind::EventReported {
        return Words {
            title: format!("{n} reported, for triage: {}", event.title),
            body: format!(
                "A report from a person, waiting for the point of contact on duty.\n\n{}",
                excerpt(event.description.as_str())
            ),
            link: format!("/events/{n}"),
        };
    }
    let mut body = format!("Assessed by {} as a possible incident.", notice.actor);
    if notice.significant {
        body.push_str(" Marked as looking significant: the ISIRT manager is told too.");
    }
    body.push_str("\n\n");
    body.push_str(&excerpt(event.description.as_str()));
    Words {
        title: format!("{n} escalated as a possible incident: {}", event.title),
        body,
        link: format!("/events/{n}"),
    }
}

/// A document's review reminder.
fn document_words(notice: &Notice, id: &rampart_domain::DocumentId) -> Words {
    let about = notice.about.clone().unwrap_or_else(|| id.to_string());
    let (title, body) = if notice.kind == NoticeKind::DocumentReviewOverdue {
        (
            format!("Review overdue: {about}"),
            "You own this document and its review date has passed. Review it: record that it is still right, or draft a new version for approval.",
        )
    } else {
        (
            format!("Review soon: {about}"),
            "You own this document and its review is due within 30 days. Record that it is still right, or draft a new version for approval.",
        )
    };
    Words {
        title,
        body: body.to_owned(),
        link: format!("/documents/{id}"),
    }
}

/// An improvement action's reminder to its owner; `n` and `title` are the
/// reviewed record's.
fn improvement_words(notice: &Notice, n: &str, title: &str) -> Words {
    let item = notice.about.as_deref().unwrap_or_default();
    let (title_line, lead) = if notice.kind == NoticeKind::ImprovementOverdue {
        (
            format!("{n}: your improvement action {item} is overdue"),
            "It is past its due date and not closed. Close it with what was done, or give it a new due date.",
        )
    } else {
        (
            format!("{n}: your improvement action {item} is due within a day"),
            "Close it with what was done once it is, or give it a new due date.",
        )
    };
    Words {
        title: title_line,
        body: format!("{lead} From the lessons-learned review of {n}: {title}."),
        link: format!("/improvements/{item}"),
    }
}

fn incident_words(notice: &Notice, incident: &Incident) -> Words {
    let n = incident.number;
    let t = &incident.title;
    let class = incident.severity.class;
    let summary = format!(
        "Class {} ({}), {}, priority {}. Coordinator: {}.",
        class.as_str(),
        class.label(),
        incident.category.as_str().replace('_', " "),
        incident.priority.value(),
        incident.coordinator
    );
    let (title, lead) = match notice.kind {
        NoticeKind::IncidentSignificant => (
            format!("{n} is significant, class {}: {t}", class.as_str()),
            format!("{summary}\nConfirmed or reclassified by {}.", notice.actor),
        ),
        NoticeKind::IncidentCrisis => (
            format!("{n} is in crisis handling: {t}"),
            format!(
                "{} moved it to crisis: it is not under control. {summary}",
                notice.actor
            ),
        ),
        NoticeKind::IncidentAssigned => (
            format!("You coordinate {n}: {t}"),
            format!("{} made you its coordinator. {summary}", notice.actor),
        ),
        NoticeKind::ActionAssigned | NoticeKind::ActionDueSoon | NoticeKind::ActionOverdue => {
            let action = notice
                .action
                .and_then(|id| incident.actions.iter().find(|a| a.id == id));
            let what = action.map_or_else(String::new, |a| a.what.to_string());
            let due = action
                .and_then(|a| a.due)
                .map_or_else(|| "no due date".to_owned(), |d| format!("due {d}"));
            match notice.kind {
                NoticeKind::ActionDueSoon => (
                    format!("{n}: your action is due within a day: {what}"),
                    format!("It is {due}. Incident: {t}."),
                ),
                NoticeKind::ActionOverdue => (
                    format!("{n}: your action is overdue: {what}"),
                    format!("It was {due} and is not done. Incident: {t}."),
                ),
                _ => (
                    format!("{n}: an action for you: {what}"),
                    format!("{} gave it to you ({due}). Incident: {t}.", notice.actor),
                ),
            }
        }
        NoticeKind::IncidentClosed => (
            format!("{n} is closed: {t}"),
            format!(
                "Closed by {}. Resolution: {}",
                notice.actor,
                incident
                    .resolution
                    .as_ref()
                    .map_or("not recorded", |r| r.as_str())
            ),
        ),
        NoticeKind::DeadlineEscalated => {
            let about = notice.about.as_deref().unwrap_or("a deadline");
            (
                format!("{n}: {about}"),
                format!(
                    "Escalated to you by the ladder of response targets. {summary}
Incident: {t}."
                ),
            )
        }
        NoticeKind::CommunicationAwaitingApproval | NoticeKind::CommunicationApproved => {
            let c = notice
                .communication
                .and_then(|id| incident.communication(id).ok());
            let subject = c.map_or_else(String::new, |c| c.subject.to_string());
            let audience = c.map_or("", |c| c.audience.title());
            if notice.kind == NoticeKind::CommunicationApproved {
                (
                    format!("{n}: your communication is approved: {subject}"),
                    format!(
                        "{} approved it; it may go out. Record it as sent once it has. Incident: {t}.",
                        notice.actor
                    ),
                )
            } else {
                (
                    format!("{n}: a communication awaits your approval: {subject}"),
                    format!(
                        "{} drafted it for a {} audience; it may not go out before it is approved. Incident: {t}.",
                        notice.actor,
                        audience.to_lowercase()
                    ),
                )
            }
        }
        NoticeKind::ImprovementDueSoon | NoticeKind::ImprovementOverdue => {
            return improvement_words(notice, &n.to_string(), t.as_str());
        }
        NoticeKind::EventEscalated
        | NoticeKind::EventReported
        | NoticeKind::ReportUpdate
        | NoticeKind::DocumentReviewDue
        | NoticeKind::DocumentReviewOverdue => (format!("{n}: {t}"), summary),
    };
    Words {
        title,
        body: format!("{lead}\n\n{}", excerpt(incident.description.as_str())),
        link: format!("/incidents/{n}"),
    }
}
