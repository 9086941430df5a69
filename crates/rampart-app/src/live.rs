//! Live updates: every committed journal entry announced once to this
//! node's live pages, whichever node committed it, and their end when the
//! server stops.

use rampart_domain::journal::ActionKind;

use crate::App;

/// A committed change, announced to live pages (the record and what happened to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub entity: String,
    pub action: String,
}

/// Journal entries this node has announced to its live pages: its own, as
/// they commit, and other nodes' as the database reports them (which may
/// report this node's own too, before or after). Each is announced once.
#[derive(Debug, Default)]
pub(crate) struct Announced(std::sync::Mutex<std::collections::BTreeSet<u64>>);

/// Sequence numbers remembered; older ones are forgotten first.
const ANNOUNCED_KEPT: usize = 65_536;

impl Announced {
    /// Whether `seq` is new here (and is now remembered).
    pub(crate) fn first_time(&self, seq: u64) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return true;
        };
        if seen.first().is_some_and(|oldest| seq < *oldest) && seen.len() >= ANNOUNCED_KEPT {
            // Older than anything remembered: announced long ago.
            return false;
        }
        let new = seen.insert(seq);
        if seen.len() > ANNOUNCED_KEPT {
            seen.pop_first();
        }
        new
    }
}

impl App {
    /// Live changes of this node, for server-sent events.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Ends every live stream, now and from now on (the server is stopping).
    pub fn stop_live_updates(&self) {
        self.stopping.send_replace(true);
    }

    /// Resolves when the server is stopping.
    pub fn live_stopped(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut stopping = self.stopping.subscribe();
        async move {
            let _ = stopping.wait_for(|s| *s).await;
        }
    }

    /// Tells this node's live pages of a committed journal entry, unless they
    /// heard of it already (a change committed through another node arrives
    /// here through the database). A change of users or tokens, made through
    /// any node, makes this node verify every API token again at its next
    /// use: a disabled user's or a revoked token stops at once everywhere.
    pub fn announce(&self, seq: u64, entity: &str, action: &str) {
        if ActionKind::from_name(action).is_some_and(ActionKind::changes_users_or_tokens) {
            self.tokens.clear();
        }
        if self.announced.first_time(seq) {
            // Nobody listening is fine.
            let _ = self.changes.send(Change {
                entity: entity.to_owned(),
                action: action.to_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::Role;
    use tokio::sync::broadcast::error::TryRecvError;

    use super::Change;
    use crate::testing::TestApp;

    #[tokio::test]
    async fn a_committed_change_is_announced_once() {
        let t = TestApp::new().await;
        let mut changes = t.app.subscribe();
        t.user("pat", &[Role::Poc]).await;
        let Change { entity, action } = changes.try_recv().unwrap();
        assert_eq!(
            (entity.as_str(), action.as_str()),
            ("user:pat", "user.created")
        );

        // The same entry reported again (by the database, from another node) is not repeated.
        let (seq, _) = t.app.store().journal_head().await.unwrap();
        t.app.announce(seq, "user:pat", "user.created");
        assert_eq!(changes.try_recv().unwrap_err(), TryRecvError::Empty);
        t.app.announce(seq + 1, "INC-2026-0001", "incident.log");
        assert_eq!(changes.try_recv().unwrap().action, "incident.log");
    }

    #[tokio::test]
    async fn live_pages_end_when_the_server_stops_and_later_ones_at_once() {
        let t = TestApp::new().await;
        let open = t.app.live_stopped();
        t.app.stop_live_updates();
        let wait = std::time::Duration::from_secs(5);
        assert!(tokio::time::timeout(wait, open).await.is_ok());
        assert!(
            tokio::time::timeout(wait, t.app.live_stopped())
                .await
                .is_ok()
        );
    }
}
