//! Webhook subscriptions: notices posted to another system (a chat room, a
//! SOAR, a ticketing tool) as signed JSON.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::classification::wire_enum;
use crate::{NoticeKind, Text, Timestamp};

wire_enum!(
    /// The shape of the JSON a webhook receives.
    WebhookFormat {
        /// Rampart's own schema: every field of the notice.
        Rampart => "rampart",
        /// A Slack incoming webhook (`text` with Slack's link markup).
        Slack => "slack",
        /// A Mattermost incoming webhook (`text` in Markdown).
        Mattermost => "mattermost",
        /// A Microsoft Teams workflow webhook (an Adaptive Card).
        Teams => "teams",
    }
);

/// One subscription: where notices of which kinds are posted, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// `wh_` and 12 hex digits.
    pub id: String,
    /// What it is for, as admins read it.
    pub name: Text,
    /// Where it posts: `http` or `https`.
    pub url: String,
    pub format: WebhookFormat,
    /// The kinds it is sent; empty: every kind but a reporter's own news.
    pub kinds: BTreeSet<NoticeKind>,
    /// An admin allows it to reach private and loopback addresses.
    pub allow_private: bool,
    pub active: bool,
    /// The key of the HMAC-SHA256 signature, shown once when made.
    pub secret: String,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
}

impl Webhook {
    /// Whether a notice of `kind` goes to this webhook.
    pub fn wants(&self, kind: NoticeKind) -> bool {
        self.active
            && kind != NoticeKind::ReportUpdate
            && (self.kinds.is_empty() || self.kinds.contains(&kind))
    }
}

/// The prefix of webhook ids.
pub const WEBHOOK_ID_PREFIX: &str = "wh_";

/// Checks a webhook id's shape (`wh_` and 12 lower-case hex digits).
pub fn parse_webhook_id(raw: &str) -> Result<String, String> {
    let ok = raw.len() == WEBHOOK_ID_PREFIX.len() + 12
        && raw.starts_with(WEBHOOK_ID_PREFIX)
        && raw[WEBHOOK_ID_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "`{raw}` is not a webhook id (wh_ and 12 hex digits)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(kinds: &[NoticeKind]) -> Webhook {
        let at = Timestamp::from_unix(1_800_000_000).unwrap();
        Webhook {
            id: "wh_0123456789ab".into(),
            name: Text::new("SOC room").unwrap(),
            url: "https://chat.example.org/hooks/1".into(),
            format: WebhookFormat::Slack,
            kinds: kinds.iter().copied().collect(),
            allow_private: false,
            active: true,
            secret: "s".into(),
            created_at: at,
            created_by: "admin".into(),
            updated_at: at,
        }
    }

    #[test]
    fn a_webhook_takes_its_kinds_never_a_reporter_s_news_and_nothing_when_off() {
        let all = hook(&[]);
        assert!(all.wants(NoticeKind::IncidentCrisis));
        assert!(!all.wants(NoticeKind::ReportUpdate));
        let some = hook(&[NoticeKind::IncidentSignificant]);
        assert!(some.wants(NoticeKind::IncidentSignificant));
        assert!(!some.wants(NoticeKind::EventEscalated));
        let mut off = hook(&[]);
        off.active = false;
        assert!(!off.wants(NoticeKind::IncidentCrisis));
    }

    #[test]
    fn ids_are_checked() {
        assert!(parse_webhook_id("wh_0123456789ab").is_ok());
        for bad in [
            "",
            "wh_",
            "wh_0123456789AB",
            "xx_0123456789ab",
            "wh_0123456789abc",
        ] {
            assert!(parse_webhook_id(bad).is_err(), "{bad}");
        }
    }
}
