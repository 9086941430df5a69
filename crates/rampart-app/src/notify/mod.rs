//! Notifications, through an outbox.
//!
//! 1. A unit whose journal entries call for notices ([`Notice::of`]) queues
//!    one `notice` job per notice in its own transaction ([`outbox`]): the
//!    notice exists exactly when the change does.
//! 2. The `notice` job works out who is told ([`plan`]) and, in one unit,
//!    writes each person's notification (`notification.created`), queuing a
//!    `mail` job for those who get e-mail. Notifications are keyed
//!    `<notice>.<user>`, so a job run again tells nobody twice.
//! 3. The `mail` job sends the e-mail through the [`Mailer`] and journals
//!    that the mail server took it (`notification.emailed`); the `webhook`
//!    job posts the notice to a subscribed webhook through the [`Poster`]
//!    and journals the answer (`webhook.delivered`).
//!
//! Jobs are claimed by one node at a time and retried with growing waits;
//! a job that keeps failing is dead, shown to admins, who may queue it again.

mod deadlines;
mod deliver;
mod escalate;
mod hooks;
mod plan;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;
use rampart_domain::journal::{ActionKind, NotificationRead};
use rampart_domain::{
    Actor, DomainError, InboxItem, JournalAction, Notice, NoticeKind, NoticePreferences, Timestamp,
    parse_email,
};
use rampart_store::{Decision, Entity, EntityRef, JobDraft, JournalDraft, Page, Write};
use serde::{Deserialize, Serialize};

pub use deadlines::{ACTION_DUE, DUE_SOON};
pub(crate) use deliver::SYSTEM;
pub use escalate::{ESCALATE, ESCALATION_PLAN};
pub use hooks::{HookPost, MAX_WEBHOOKS, Poster, WEBHOOK, WebhookInput, WebhookPatch};

use crate::unit::{Decided, Loaded, Unit};
use crate::{App, AppError, not_found};

/// Works out who is told of a notice and tells them.
pub const NOTICE: &str = "notice";
/// Sends one notification by e-mail.
pub const MAIL: &str = "mail";
/// Most notifications marked read at once.
pub const MAX_MARKED: usize = 500;

/// One e-mail, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The same for every attempt, so a receiver can recognise a repeat.
    pub message_id: String,
}

/// Sends e-mail (over SMTP in production).
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Hands one message to the mail server; an error says why it did not take it.
    async fn send(&self, mail: &Mail) -> Result<(), String>;
}

/// How notifications go out by e-mail (their links start with the
/// service's public address, [`App::with_public_url`]).
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub mailer: Arc<dyn Mailer>,
}

/// The payload of a `notice` job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct NoticeJob {
    /// The notice's identity; its notifications are `<id>.<user>`.
    pub id: String,
    pub notice: Notice,
}

/// When to remind of something due at `due`: `lead` before it (or now,
/// when less is left), and at `due`; each with whether it is the overdue
/// reminder.
pub(crate) fn reminder_stages(
    due: Timestamp,
    lead: time::Duration,
    now: Timestamp,
) -> Vec<(bool, Timestamp)> {
    let soon = Timestamp::from_offset(due.as_offset() - lead);
    let mut stages = vec![];
    if due > now {
        stages.push((false, soon.max(now)));
    }
    stages.push((true, due));
    stages
}

/// Whether entries of this kind may call for a notice.
fn may_notify(kind: ActionKind) -> bool {
    use ActionKind::*;
    matches!(
        kind,
        EventReported
            | EventAssessed
            | IncidentConfirmed
            | IncidentUpdated
            | IncidentTransition
            | EventLinked
            | IncidentEventLinked
            | IncidentActionAdded
            | IncidentActionUpdated
            | IncidentEscalated
            | IncidentCommunicationDrafted
            | IncidentCommunicationApproved
            | IncidentPlaybookApplied
    )
}

/// Queues a `notice` job in the decision for every notice its journal
/// entries call for; returns their keys.
pub(crate) fn outbox(decision: &mut Decision, actor: &str, now: Timestamp) -> Vec<String> {
    let mut jobs = vec![];
    let mut keys = vec![];
    for draft in &decision.journal {
        jobs.extend(escalate::plan_after(draft.name(), &draft.entity, now));
        let action = &draft.action;
        jobs.extend(crate::documents::schedule(action, &draft.entity, now));
        jobs.extend(crate::improvements::schedule(action, now));
        if !may_notify(action.kind()) {
            continue;
        }
        jobs.extend(deadlines::schedule(action, &draft.entity, now));
        for notice in Notice::of(action, &draft.entity, actor, now) {
            let id = format!("{:016x}", rand::random::<u64>());
            let payload = serde_json::to_string(&NoticeJob {
                id: id.clone(),
                notice,
            })
            .unwrap_or_default();
            keys.push(format!("notice:{id}"));
            jobs.push(Write::Enqueue(JobDraft {
                kind: NOTICE.into(),
                key: format!("notice:{id}"),
                payload,
                run_after: now,
            }));
        }
    }
    decision.writes.extend(jobs);
    keys
}

/// What a person asks to be told, as the interfaces send it.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreferencesInput {
    /// Where e-mail goes; absent or empty: no e-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Kinds not shown in the app (significant incidents and crises always are).
    #[serde(default)]
    pub muted_in_app: Vec<NoticeKind>,
    /// Kinds not sent by e-mail.
    #[serde(default)]
    pub muted_by_email: Vec<NoticeKind>,
}

impl App {
    /// The actor's notifications in the app, newest first.
    pub async fn notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<InboxItem>, AppError> {
        Ok(self
            .store
            .inbox(&actor.name, unread_only, cursor, limit)
            .await?)
    }

    /// One of the actor's notifications; someone else's is none.
    pub async fn notifications_by_id(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Option<InboxItem>, AppError> {
        Ok(
            match self.store.get(&EntityRef::Inbox(id.to_owned())).await? {
                Some(Entity::Inbox(item)) if item.user == actor.name => Some(*item),
                _ => None,
            },
        )
    }

    /// Whether notifications go out by e-mail here.
    pub fn sends_mail(&self) -> bool {
        self.mail.is_some()
    }

    /// How many of the actor's notifications are unread.
    pub async fn unread_notifications(&self, actor: &Actor) -> Result<u64, AppError> {
        Ok(self.store.unread(&actor.name).await?)
    }

    /// Marks some of the actor's notifications read; returns how many were
    /// unread. Someone else's notification is not found.
    pub async fn mark_read(&self, actor: &Actor, ids: Vec<String>) -> Result<usize, AppError> {
        if ids.len() > MAX_MARKED {
            return Err(DomainError::field(
                "ids",
                format!("at most {MAX_MARKED} notifications at once"),
            )
            .into());
        }
        let mut unit = Unit::new(&actor.name);
        let loaded: Vec<(String, Loaded<InboxItem>)> = ids
            .into_iter()
            .map(|id| {
                let handle = unit.load(EntityRef::Inbox(id.clone()));
                (id, handle)
            })
            .collect();
        let me = actor.name.clone();
        let unit = unit.decide(move |ctx| {
            let now = ctx.now();
            let mut items = vec![];
            for (id, handle) in &loaded {
                let mut item = ctx
                    .maybe(handle)
                    .filter(|i| i.user == me)
                    .ok_or_else(|| DomainError::NotFound(format!("notification {id}")))?;
                if item.read_at.is_none() {
                    item.read_at = Some(now);
                    items.push(item);
                }
            }
            let mut decided = Decided::new(items.len());
            if !items.is_empty() {
                let ids = items.iter().map(|i| i.id.clone()).collect();
                let action = JournalAction::NotificationRead(NotificationRead { ids });
                decided = decided.journal(JournalDraft::new(format!("inbox:{me}"), action));
            }
            for item in items {
                decided = decided.update(Entity::Inbox(Box::new(item)));
            }
            Ok(decided)
        });
        self.run(unit).await
    }

    /// Marks every unread notification of the actor read (at most
    /// [`MAX_MARKED`] at a time); returns how many.
    pub async fn mark_all_read(&self, actor: &Actor) -> Result<usize, AppError> {
        let unread = self
            .store
            .inbox(&actor.name, true, None, MAX_MARKED as u32)
            .await?;
        let ids = unread.items.into_iter().map(|i| i.id).collect();
        self.mark_read(actor, ids).await
    }

    /// The actor's choices, or the defaults (everything, no e-mail address).
    pub async fn notification_preferences(
        &self,
        actor: &Actor,
    ) -> Result<NoticePreferences, AppError> {
        self.preferences_of(&actor.name).await
    }

    pub(crate) async fn preferences_of(&self, user: &str) -> Result<NoticePreferences, AppError> {
        Ok(
            match self
                .store
                .get(&EntityRef::Preferences(user.to_owned()))
                .await?
            {
                Some(Entity::Preferences(p)) => p,
                _ => NoticePreferences::default_for(user),
            },
        )
    }

    /// Records what the actor wants to be told, and where
    /// (`notification.preferences_set`).
    pub async fn set_notification_preferences(
        &self,
        actor: &Actor,
        input: PreferencesInput,
    ) -> Result<NoticePreferences, AppError> {
        let email = match input.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(parse_email(raw).map_err(|m| DomainError::field("email", m))?),
        };
        let prefs = NoticePreferences {
            user: actor.name.clone(),
            email,
            muted_in_app: input.muted_in_app.into_iter().collect(),
            muted_by_email: input.muted_by_email.into_iter().collect(),
        };
        prefs.validate()?;
        if self
            .store
            .get(&EntityRef::User(actor.name.clone()))
            .await?
            .is_none()
        {
            return Err(not_found(format!("user {}", actor.name)));
        }
        let mut unit = Unit::new(&actor.name);
        let before = unit.load::<NoticePreferences>(EntityRef::Preferences(actor.name.clone()));
        let unit = unit.decide(move |ctx| {
            let existed = ctx.maybe(&before).is_some();
            let entity = Entity::Preferences(prefs.clone());
            let decided = Decided::new(prefs.clone()).journal(JournalDraft::new(
                format!("user:{}", prefs.user),
                JournalAction::NotificationPreferencesSet(Box::new(prefs)),
            ));
            Ok(if existed {
                decided.update(entity)
            } else {
                decided.insert(entity)
            })
        });
        self.run(unit).await
    }
}
