//! The jobs that tell people: `notice` writes each person's notification,
//! `mail` sends one by e-mail.

use rampart_domain::escape_html as escape;
use rampart_domain::journal::{NotificationCreated, NotificationEmailed};
use rampart_domain::{Channel, InboxItem, JournalAction, NoticeKind, Tlp};
use rampart_store::{Entity, EntityRef, JobDraft, JournalDraft, Write};
use serde::{Deserialize, Serialize};

use super::hooks::{HookJob, WEBHOOK, hook_body};
use super::plan::Planned;
use super::{MAIL, Mail, NoticeJob};
use crate::App;
use crate::unit::{Decided, Loaded, Unit};

/// The actor of the entries Rampart writes itself.
pub(crate) const SYSTEM: &str = "system";

/// The payload of a `mail` job.
#[derive(Debug, Serialize, Deserialize)]
struct MailJob {
    /// The notification to send.
    id: String,
}

impl App {
    /// The `webhook` jobs of a notice: one per active subscription that
    /// wants its kind, with the JSON to post.
    async fn hook_jobs(
        &self,
        notice_id: &str,
        notice: &rampart_domain::Notice,
    ) -> Result<Vec<HookJob>, crate::AppError> {
        let hooks: Vec<_> = self
            .store
            .list_webhooks()
            .await?
            .into_iter()
            .filter(|h| h.wants(notice.kind))
            .collect();
        if hooks.is_empty() || self.poster.is_none() {
            return Ok(vec![]);
        }
        let Some((words, redacted)) = self.hook_words(notice).await? else {
            return Ok(vec![]);
        };
        Ok(hooks
            .into_iter()
            .map(|hook| {
                let delivery = format!("{notice_id}.{}", hook.id);
                HookJob {
                    body: hook_body(
                        hook.format,
                        notice,
                        &delivery,
                        &words,
                        redacted,
                        &self.public_url,
                    ),
                    webhook: hook.id,
                    delivery,
                    kind: notice.kind,
                    subject: notice.subject.to_string(),
                }
            })
            .collect())
    }

    /// Runs a `notice` job: writes the notification of everyone the notice
    /// reaches who has none yet, and queues their e-mail.
    pub(crate) async fn run_notice(&self, payload: &str) -> Result<(), String> {
        let job: NoticeJob =
            serde_json::from_str(payload).map_err(|e| format!("a notice job's payload: {e}"))?;
        self.tell(job).await
    }

    /// Tells everyone a notice reaches who has not been told of it yet.
    pub(crate) async fn tell(&self, job: NoticeJob) -> Result<(), String> {
        let exercise = self
            .exercise_of(&job.notice.subject)
            .await
            .map_err(|e| e.to_string())?;
        let planned = self
            .plan(&job.notice, exercise.as_ref())
            .await
            .map_err(|e| e.to_string())?;
        // An exercise's records reach no webhook: those go outside its audience.
        let hooks = if exercise.is_some() {
            vec![]
        } else {
            self.hook_jobs(&job.id, &job.notice)
                .await
                .map_err(|e| e.to_string())?
        };
        if planned.is_empty() && hooks.is_empty() {
            return Ok(());
        }
        let notice = job.notice;
        let mut unit = Unit::new(SYSTEM);
        let loaded: Vec<(Loaded<InboxItem>, String, Planned)> = planned
            .into_iter()
            .map(|p| {
                let id = format!("{}.{}", job.id, p.user);
                (unit.load(EntityRef::Inbox(id.clone())), id, p)
            })
            .collect();
        let unit = unit.decide(move |ctx| {
            let now = ctx.now();
            let mut decided = Decided::new(());
            for hook in &hooks {
                decided = decided.write(Write::Enqueue(JobDraft {
                    kind: WEBHOOK.into(),
                    key: format!("hook:{}", hook.delivery),
                    payload: serde_json::to_string(hook).unwrap_or_default(),
                    run_after: now,
                }));
            }
            for (handle, id, p) in &loaded {
                if ctx.maybe(handle).is_some() {
                    // Written by an earlier run of this job.
                    continue;
                }
                let item = InboxItem {
                    id: id.clone(),
                    user: p.user.clone(),
                    kind: notice.kind,
                    audience: p.audience,
                    subject: p.subject.clone(),
                    title: p.title.clone(),
                    body: p.body.clone(),
                    link: p.link.clone(),
                    tlp: p.tlp,
                    actor: notice.actor.clone(),
                    created_at: now,
                    channels: p.channels.clone(),
                    read_at: None,
                };
                let created = NotificationCreated {
                    id: id.clone(),
                    kind: item.kind,
                    audience: item.audience,
                    subject: item.subject.clone(),
                    title: item.title.clone(),
                    channels: item.channels.clone(),
                };
                if item.channels.contains(&Channel::Email) {
                    let payload =
                        serde_json::to_string(&MailJob { id: id.clone() }).unwrap_or_default();
                    decided = decided.write(Write::Enqueue(JobDraft {
                        kind: MAIL.into(),
                        key: format!("mail:{id}"),
                        payload,
                        run_after: now,
                    }));
                }
                decided = decided
                    .journal(JournalDraft::new(
                        format!("inbox:{}", item.user),
                        JournalAction::NotificationCreated(created),
                    ))
                    .insert(Entity::Inbox(Box::new(item)));
            }
            Ok(decided)
        });
        self.run(unit).await.map_err(|e| e.to_string())
    }

    /// Runs a `mail` job: sends one notification to the address its person
    /// has now, and journals that the mail server took it.
    pub(crate) async fn run_mail(&self, payload: &str) -> Result<(), String> {
        let job: MailJob =
            serde_json::from_str(payload).map_err(|e| format!("a mail job's payload: {e}"))?;
        let Some(mail) = self.mail.clone() else {
            return Err("no mail server is configured (smtp_url)".into());
        };
        let item = match self.store.get(&EntityRef::Inbox(job.id.clone())).await {
            Ok(Some(Entity::Inbox(item))) => *item,
            Ok(_) => return Err(format!("notification {} does not exist", job.id)),
            Err(e) => return Err(e.to_string()),
        };
        let prefs = self
            .preferences_of(&item.user)
            .await
            .map_err(|e| e.to_string())?;
        let Some(to) = prefs.email else {
            // The person removed their address since: nothing to send.
            return Ok(());
        };
        let message = compose(&item, &to, &self.public_url);
        mail.mailer.send(&message).await?;
        let emailed = NotificationEmailed {
            id: item.id.clone(),
            to,
            message_id: message.message_id,
        };
        let unit = Unit::new(SYSTEM).decide(move |_| {
            Ok(Decided::new(()).journal(JournalDraft::new(
                format!("inbox:{}", item.user),
                JournalAction::NotificationEmailed(emailed),
            )))
        });
        self.run(unit).await.map_err(|e| e.to_string())
    }
}

/// What a kind of notification is about, in a few words (the subject of an
/// e-mail that may not carry the record's own words).
pub(super) fn about(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::EventEscalated => "an event is escalated as a possible incident",
        NoticeKind::IncidentSignificant => "a significant incident",
        NoticeKind::IncidentCrisis => "an incident is in crisis handling",
        NoticeKind::IncidentAssigned => "you coordinate an incident",
        NoticeKind::ActionAssigned => "a response action for you",
        NoticeKind::ActionDueSoon => "a response action of yours is due soon",
        NoticeKind::ActionOverdue => "a response action of yours is overdue",
        NoticeKind::IncidentClosed => "an incident is closed",
        NoticeKind::ReportUpdate => "news of your report",
        NoticeKind::DeadlineEscalated => "a deadline of an incident is near or past",
        NoticeKind::EventReported => "a new report for the point of contact on duty",
        NoticeKind::DocumentReviewDue => "a document of yours is due for review",
        NoticeKind::DocumentReviewOverdue => "a document of yours is past its review date",
        NoticeKind::CommunicationAwaitingApproval => "a communication awaits your approval",
        NoticeKind::CommunicationApproved => "your communication is approved",
        NoticeKind::ImprovementDueSoon => "an improvement action of yours is due soon",
        NoticeKind::ImprovementOverdue => "an improvement action of yours is overdue",
    }
}

/// The e-mail of a notification. TLP:RED content never goes into mail:
/// such a message names the record and links to it, nothing more.
pub(crate) fn compose(item: &InboxItem, to: &str, public_url: &str) -> Mail {
    let base = public_url.trim_end_matches('/');
    let link = format!("{base}{}", item.link);
    let settings = format!("{base}/notifications/preferences");
    let red = item.tlp == Some(Tlp::Red);
    let (subject, lines) = if red {
        (
            format!("[Rampart] {}: {}", item.subject, about(item.kind)),
            vec![
                format!("{} (TLP:RED): {}.", item.subject, about(item.kind)),
                "Its content is TLP:RED and is not sent by e-mail; open it in Rampart.".to_owned(),
            ],
        )
    } else {
        let mut lines = vec![item.title.clone()];
        lines.extend(
            item.body
                .split("\n\n")
                .filter(|p| !p.trim().is_empty())
                .map(str::to_owned),
        );
        (format!("[Rampart] {}", item.title), lines)
    };
    let mut text = lines.join("\n\n");
    text.push_str(&format!(
        "\n\nOpen it: {link}\n\n-- \nYou are told of this by Rampart. Choose what you are told, and where: {settings}\n"
    ));
    let paragraphs: String = lines
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let p = escape(p).replace('\n', "<br>");
            if i == 0 {
                format!("<p><strong>{p}</strong></p>\n")
            } else {
                format!("<p>{p}</p>\n")
            }
        })
        .collect();
    let html = format!(
        "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif\">\n{paragraphs}<p><a href=\"{}\">Open {} in Rampart</a></p>\n<hr>\n<p style=\"color: #555; font-size: small\">You are told of this by Rampart. <a href=\"{}\">Choose what you are told, and where</a>.</p>\n</body></html>\n",
        escape(&link),
        escape(&item.subject),
        escape(&settings)
    );
    let host = base
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .unwrap_or("rampart.invalid");
    let (notice, user) = item.id.split_once('.').unwrap_or((&item.id, ""));
    Mail {
        to: to.to_owned(),
        subject,
        text,
        html,
        message_id: format!("<{notice}.{}@{host}>", hex::encode(user)),
    }
}
