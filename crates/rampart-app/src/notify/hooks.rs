//! Webhooks: notices posted as signed JSON to other systems (a chat room, a
//! SOAR, a ticketing tool). Admins subscribe a URL to kinds of notices; the
//! `notice` job queues one `webhook` job per subscription that wants the
//! notice, and that job posts it through the [`Poster`] (one guarded HTTP
//! client) and journals the receiver's answer (`webhook.delivered`).
//!
//! What leaves Rampart this way is what a member of the ISIRT would be told,
//! except for an incident restricted to named people or marked TLP:RED: of
//! those a webhook gets the number, the kind of news and the link, nothing
//! of their content. A reporter's own news never goes to a webhook.

use async_trait::async_trait;
use rampart_domain::journal::{WebhookDelivered, WebhookRecorded};
use rampart_domain::{
    Action, Actor, DomainError, JournalAction, Notice, NoticeKind, Text, WEBHOOK_ID_PREFIX,
    Webhook, WebhookFormat,
};
use rampart_store::{Entity, EntityRef, JournalDraft};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::plan::Words;
use crate::unit::{Decided, Unit};
use crate::{App, AppError, not_found};

/// Posts one notice to one webhook.
pub const WEBHOOK: &str = "webhook";
/// Most webhook subscriptions.
pub const MAX_WEBHOOKS: usize = 100;

/// One POST to make.
#[derive(Debug)]
pub struct HookPost<'a> {
    pub url: &'a str,
    pub body: &'a [u8],
    /// The key of the `X-Rampart-Signature` HMAC.
    pub secret: &'a str,
    /// `<notice>.<webhook>`: the same for every attempt.
    pub delivery: &'a str,
    /// Unix seconds, signed with the body.
    pub timestamp: i64,
    pub allow_private: bool,
}

/// The one outbound HTTP client, guarded (no redirects, time limits, no
/// private addresses unless allowed, a cap on what is read back).
#[async_trait]
pub trait Poster: Send + Sync + std::fmt::Debug {
    /// Posts, and gives the receiver's 2xx status, or says why not.
    async fn post(&self, post: &HookPost<'_>) -> Result<u16, String>;

    /// Checks a subscription's URL as an admin gives it: its shape and,
    /// unless private addresses are allowed, that its host is public.
    async fn check(&self, url: &str, allow_private: bool) -> Result<String, String>;
}

/// A new webhook subscription, as the interfaces send it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// What it is for (1-200 characters).
    pub name: String,
    /// `https://…` (or `http://…`) where notices are posted.
    pub url: String,
    /// `rampart` (the default), `slack`, `mattermost` or `teams`.
    #[serde(default)]
    pub format: Option<WebhookFormat>,
    /// The kinds it is sent; empty: every kind.
    #[serde(default)]
    pub kinds: Vec<NoticeKind>,
    /// Let it reach private and loopback addresses (an internal SOAR).
    #[serde(default)]
    pub allow_private: bool,
}

/// A change to a webhook; what is absent stays.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub format: Option<WebhookFormat>,
    pub kinds: Option<Vec<NoticeKind>>,
    pub allow_private: Option<bool>,
    /// `false` turns it off (nothing more is posted), `true` on again.
    pub active: Option<bool>,
    /// A new secret replaces the old one, shown once in the answer.
    #[serde(default)]
    pub new_secret: bool,
}

/// The payload of a `webhook` job.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct HookJob {
    pub webhook: String,
    pub delivery: String,
    pub kind: NoticeKind,
    pub subject: String,
    /// The JSON to post, made when the notice was worked out.
    pub body: String,
}

fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn recorded(hook: &Webhook) -> Box<WebhookRecorded> {
    Box::new(WebhookRecorded {
        id: hook.id.clone(),
        name: hook.name.clone(),
        url: hook.url.clone(),
        format: hook.format,
        kinds: hook.kinds.iter().copied().collect(),
        allow_private: hook.allow_private,
        active: hook.active,
        secret_sha256: hex::encode(Sha256::digest(hook.secret.as_bytes())),
    })
}

fn name_of(raw: &str) -> Result<Text, DomainError> {
    let name = Text::new(raw.trim()).map_err(|m| DomainError::field("name", m))?;
    if name.as_str().chars().count() > 200 {
        return Err(DomainError::field("name", "at most 200 characters"));
    }
    Ok(name)
}

impl App {
    /// The same service posting webhooks through `poster`.
    pub fn with_poster(mut self, poster: std::sync::Arc<dyn Poster>) -> Self {
        self.poster = Some(poster);
        self
    }

    async fn checked_url(&self, url: &str, allow_private: bool) -> Result<String, AppError> {
        let Some(poster) = &self.poster else {
            return Err(AppError::Internal("webhooks are not set up".into()));
        };
        Ok(poster
            .check(url.trim(), allow_private)
            .await
            .map_err(|m| DomainError::field("url", m))?)
    }

    /// Every webhook subscription (admins). The secrets are in the records:
    /// the interfaces show them only when made.
    pub async fn webhooks(&self, actor: &Actor) -> Result<Vec<Webhook>, AppError> {
        actor.require(Action::ManageWebhooks)?;
        Ok(self.store.list_webhooks().await?)
    }

    /// One webhook subscription (admins).
    pub async fn webhook(&self, actor: &Actor, id: &str) -> Result<Webhook, AppError> {
        actor.require(Action::ManageWebhooks)?;
        match self.store.get(&EntityRef::Webhook(id.to_owned())).await? {
            Some(Entity::Webhook(hook)) => Ok(*hook),
            _ => Err(not_found(format!("webhook {id}"))),
        }
    }

    /// Subscribes a webhook (`webhook.created`); the answer holds its secret.
    pub async fn add_webhook(
        &self,
        actor: &Actor,
        input: WebhookInput,
    ) -> Result<Webhook, AppError> {
        actor.require(Action::ManageWebhooks)?;
        let name = name_of(&input.name)?;
        let url = self.checked_url(&input.url, input.allow_private).await?;
        if self.store.list_webhooks().await?.len() >= MAX_WEBHOOKS {
            return Err(DomainError::Conflict(format!(
                "there are {MAX_WEBHOOKS} webhooks already; turn one off and change it instead"
            ))
            .into());
        }
        let id = format!(
            "{WEBHOOK_ID_PREFIX}{}",
            hex::encode(rand::random::<[u8; 6]>())
        );
        let by = actor.name.clone();
        let unit = Unit::new(&actor.name).decide(move |ctx| {
            let hook = Webhook {
                id,
                name,
                url,
                format: input.format.unwrap_or(WebhookFormat::Rampart),
                kinds: input.kinds.into_iter().collect(),
                allow_private: input.allow_private,
                active: true,
                secret: new_secret(),
                created_at: ctx.now(),
                created_by: by,
                updated_at: ctx.now(),
            };
            Ok(Decided::new(hook.clone())
                .journal(JournalDraft::new(
                    format!("webhook:{}", hook.id),
                    JournalAction::WebhookCreated(recorded(&hook)),
                ))
                .insert(Entity::Webhook(Box::new(hook))))
        });
        self.run(unit).await
    }

    /// Changes a webhook (`webhook.changed`).
    pub async fn change_webhook(
        &self,
        actor: &Actor,
        id: &str,
        patch: WebhookPatch,
    ) -> Result<Webhook, AppError> {
        let before = self.webhook(actor, id).await?;
        let name = patch.name.as_deref().map(name_of).transpose()?;
        let allow_private = patch.allow_private.unwrap_or(before.allow_private);
        // The address is checked again when it or the permission changes.
        let url = match (&patch.url, patch.allow_private) {
            (None, None) => None,
            (url, _) => Some(
                self.checked_url(url.as_deref().unwrap_or(&before.url), allow_private)
                    .await?,
            ),
        };
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Webhook>(EntityRef::Webhook(id.to_owned()));
        let what = format!("webhook {id}");
        let unit = unit.decide(move |ctx| {
            let mut hook = ctx.take(&loaded, || what)?;
            if let Some(name) = name {
                hook.name = name;
            }
            if let Some(url) = url {
                hook.url = url;
            }
            if let Some(format) = patch.format {
                hook.format = format;
            }
            if let Some(kinds) = patch.kinds {
                hook.kinds = kinds.into_iter().collect();
            }
            hook.allow_private = allow_private;
            if let Some(active) = patch.active {
                hook.active = active;
            }
            if patch.new_secret {
                hook.secret = new_secret();
            }
            hook.updated_at = ctx.now();
            Ok(Decided::new(hook.clone())
                .journal(JournalDraft::new(
                    format!("webhook:{}", hook.id),
                    JournalAction::WebhookChanged(recorded(&hook)),
                ))
                .update(Entity::Webhook(Box::new(hook))))
        });
        self.run(unit).await
    }

    /// Runs a `webhook` job: posts the notice if the subscription still
    /// wants it, and journals the answer.
    pub(crate) async fn run_webhook(&self, payload: &str) -> Result<(), String> {
        let job: HookJob =
            serde_json::from_str(payload).map_err(|e| format!("a webhook job's payload: {e}"))?;
        let Some(poster) = self.poster.clone() else {
            return Err("webhooks are not set up on this node".into());
        };
        let hook = match self
            .store
            .get(&EntityRef::Webhook(job.webhook.clone()))
            .await
        {
            Ok(Some(Entity::Webhook(hook))) => *hook,
            Ok(_) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        if !hook.wants(job.kind) {
            // Turned off, or no longer subscribed to this kind, since.
            return Ok(());
        }
        let post = HookPost {
            url: &hook.url,
            body: job.body.as_bytes(),
            secret: &hook.secret,
            delivery: &job.delivery,
            timestamp: self.clock.now().as_offset().unix_timestamp(),
            allow_private: hook.allow_private,
        };
        let status = poster.post(&post).await?;
        let delivered = WebhookDelivered {
            delivery: job.delivery,
            kind: job.kind,
            subject: job.subject,
            status,
        };
        let unit = Unit::new(super::deliver::SYSTEM).decide(move |_| {
            Ok(Decided::new(()).journal(JournalDraft::new(
                format!("webhook:{}", hook.id),
                JournalAction::WebhookDelivered(delivered),
            )))
        });
        self.run(unit).await.map_err(|e| e.to_string())
    }
}

/// Escapes Slack's three control characters.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The JSON a webhook of `format` is sent for a notice.
pub(super) fn hook_body(
    format: WebhookFormat,
    notice: &Notice,
    delivery: &str,
    words: &Words,
    redacted: bool,
    public_url: &str,
) -> String {
    let link = format!("{}{}", public_url.trim_end_matches('/'), words.link);
    let subject = notice.subject.to_string();
    let body = match format {
        WebhookFormat::Rampart => json!({
            "delivery": delivery,
            "kind": notice.kind,
            "subject": subject,
            "title": words.title,
            "text": words.body,
            "link": link,
            "actor": notice.actor,
            "at": notice.at,
            "redacted": redacted,
        }),
        WebhookFormat::Slack => json!({
            "text": format!(
                "*{}*\n{}\n<{}|Open {} in Rampart>",
                slack_escape(&words.title),
                slack_escape(&words.body),
                link,
                subject
            ),
        }),
        WebhookFormat::Mattermost => json!({
            "text": format!(
                "**{}**\n{}\n[Open {} in Rampart]({})",
                words.title, words.body, subject, link
            ),
        }),
        WebhookFormat::Teams => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": words.title, "weight": "Bolder", "wrap": true},
                        {"type": "TextBlock", "text": words.body, "wrap": true},
                    ],
                    "actions": [{"type": "Action.OpenUrl", "title": format!("Open {subject} in Rampart"), "url": link}],
                },
            }],
        }),
    };
    body.to_string()
}
