//! The journal as auditors read it: browsing newest first by record, actor
//! or action; the state of its integrity at a glance (the last signed
//! checkpoint, and the entries since it chained onto it); and the check of
//! the whole chain on demand, itself journaled.

use rampart_domain::journal::{ActionKind, JournalVerified};
use rampart_domain::{Action, Actor, JournalAction};
use rampart_store::checkpoint::verify_checkpoint;
use rampart_store::journal::Verifier;
use rampart_store::{Checkpoint, JournalDraft, JournalQuery, JournalSearch, Verification};

use crate::unit::{Decided, Unit};
use crate::visibility::ServedEntry;
use crate::{App, AppError};

/// The most entries since the last checkpoint the integrity summary
/// re-chains; beyond that it says so and leaves it to the whole check.
pub const SINCE_CHECKPOINT_LIMIT: u64 = 10_000;

/// The journal's integrity at a glance, cheap enough for every page view.
#[derive(Debug, Clone)]
pub struct Integrity {
    /// The head the writers recorded: (sequence, hash).
    pub head: (u64, String),
    /// The last signed checkpoint and what holds of it; `None` when none has
    /// been signed yet.
    pub checkpoint: Option<CheckpointState>,
    /// The entries after the checkpoint (or all of them, without one),
    /// chained onto it; `None` when there are more than
    /// [`SINCE_CHECKPOINT_LIMIT`].
    pub since: Option<Verification>,
    /// Entries after the checkpoint.
    pub since_count: u64,
    /// The last check of the whole chain, when there was one.
    pub last_check: Option<LastCheck>,
}

/// A `journal.verified` entry: who had the whole chain checked, when, and
/// what it found.
#[derive(Debug, Clone)]
pub struct LastCheck {
    pub at: String,
    pub by: String,
    pub found: JournalVerified,
}

/// The last signed checkpoint and what holds of it.
#[derive(Debug, Clone)]
pub struct CheckpointState {
    pub checkpoint: Checkpoint,
    /// Its signature verifies with the key it names.
    pub signature_valid: bool,
    /// That key is this installation's.
    pub key_is_ours: bool,
    /// The stored entry at its sequence number still has the hash it signed.
    pub entry_matches: bool,
}

impl CheckpointState {
    pub fn holds(&self) -> bool {
        self.signature_valid && self.key_is_ours && self.entry_matches
    }
}

impl App {
    /// Journal entries newest first, filtered by record, actor or action, as
    /// need-to-know lets `actor` see them (auditors and admins). Returns the
    /// page and the sequence number to pass as `before` for the next one.
    pub async fn journal_search(
        &self,
        actor: &Actor,
        mut query: JournalSearch,
    ) -> Result<(Vec<ServedEntry>, Option<u64>), AppError> {
        actor.require(Action::ReadJournal)?;
        let size = query.limit.clamp(1, 1000) as usize;
        query.limit = u32::try_from(size + 1).unwrap_or(u32::MAX);
        let mut raw = self.store.journal_search(&query).await?;
        let more = raw.len() > size;
        raw.truncate(size);
        let next = if more {
            raw.last().map(|e| e.seq)
        } else {
            None
        };
        Ok((self.visible_journal(actor, raw).await?, next))
    }

    /// The journal's integrity at a glance (auditors and admins).
    pub async fn journal_integrity(&self, actor: &Actor) -> Result<Integrity, AppError> {
        actor.require(Action::ReadJournal)?;
        let head = self.store.journal_head().await?;
        let checkpoint = match self.store.last_checkpoint().await? {
            Some(cp) => Some(self.checkpoint_state(cp).await?),
            None => None,
        };
        let start = checkpoint
            .as_ref()
            .map(|c| (c.checkpoint.seq, c.checkpoint.hash.clone()));
        let since_count = head.0 - start.as_ref().map_or(0, |s| s.0).min(head.0);
        let since = if since_count > SINCE_CHECKPOINT_LIMIT {
            None
        } else {
            let mut verifier = match &start {
                Some((seq, hash)) => Verifier::after(*seq, hash),
                None => Verifier::default(),
            };
            Some(
                self.chain(&mut verifier, start.map_or(0, |s| s.0))
                    .await?
                    .unwrap_or_else(|| verifier.finish(head.clone())),
            )
        };
        let last_check = self
            .store
            .journal_search(&JournalSearch {
                limit: 1,
                action: Some(ActionKind::JournalVerified.name().to_owned()),
                ..JournalSearch::default()
            })
            .await?
            .into_iter()
            .next()
            .and_then(|e| {
                let found = serde_json::from_str(&e.payload).ok()?;
                Some(LastCheck {
                    at: e.at,
                    by: e.actor,
                    found,
                })
            });
        Ok(Integrity {
            head,
            checkpoint,
            since,
            since_count,
            last_check,
        })
    }

    async fn checkpoint_state(&self, cp: Checkpoint) -> Result<CheckpointState, AppError> {
        let at = self
            .store
            .journal(&JournalQuery {
                after: cp.seq.saturating_sub(1),
                limit: 1,
                entity: None,
            })
            .await?;
        let entry_matches = at
            .first()
            .is_some_and(|e| e.seq == cp.seq && e.hash == cp.hash);
        let key_is_ours = self
            .vault
            .as_deref()
            .is_none_or(|v| v.key.public_hex() == cp.key);
        Ok(CheckpointState {
            signature_valid: verify_checkpoint(&cp).is_ok(),
            key_is_ours,
            entry_matches,
            checkpoint: cp,
        })
    }

    /// Feeds the entries after `after` to `verifier`; the break, if any.
    async fn chain(
        &self,
        verifier: &mut Verifier,
        mut after: u64,
    ) -> Result<Option<Verification>, AppError> {
        loop {
            let page = self
                .store
                .journal(&JournalQuery {
                    after,
                    limit: 1000,
                    entity: None,
                })
                .await?;
            let Some(last) = page.last() else {
                return Ok(None);
            };
            after = last.seq;
            for entry in &page {
                if let Err(broken) = verifier.check(entry) {
                    return Ok(Some(broken));
                }
            }
        }
    }

    /// Recomputes every entry's hash from the start (auditors and admins)
    /// and journals what it found as `journal.verified`.
    pub async fn verify_journal(&self, actor: &Actor) -> Result<Verification, AppError> {
        actor.require(Action::ReadJournal)?;
        let result = rampart_store::journal::verify(self.store.as_ref()).await?;
        let payload = match &result {
            Verification::Intact { count, head } => JournalVerified {
                intact: true,
                entries: *count,
                head: Some(head.clone()),
                broken_at: None,
                reason: None,
            },
            Verification::Broken { seq, reason } => JournalVerified {
                intact: false,
                entries: seq.saturating_sub(1),
                head: None,
                broken_at: Some(*seq),
                reason: Some(reason.clone()),
            },
        };
        let unit = Unit::new(&actor.name).decide(move |_| {
            Ok(Decided::new(()).journal(JournalDraft::new(
                "journal",
                JournalAction::JournalVerified(payload),
            )))
        });
        self.run(unit).await?;
        Ok(result)
    }
}

impl App {
    /// Journals that an incident left Rampart in an exchange format
    /// (`incident.exported`), before it is handed over: whoever may read it.
    pub async fn record_export(
        &self,
        actor: &rampart_domain::Actor,
        number: rampart_domain::IncidentNumber,
        format: &str,
        audience: rampart_domain::Tlp,
        observables: usize,
    ) -> Result<(), AppError> {
        use rampart_domain::{DomainError, Incident, JournalAction, journal::IncidentExported};
        let mut unit = crate::unit::Unit::new(&actor.name);
        let loaded = unit.load::<Incident>(rampart_store::EntityRef::Incident(number));
        let who = actor.clone();
        let exported = IncidentExported {
            format: format.to_owned(),
            audience,
            observables: u32::try_from(observables).unwrap_or(u32::MAX),
        };
        let unit = unit.decide(move |ctx| {
            let incident = ctx.take(&loaded, || format!("incident {number}"))?;
            if !incident.readable_by(&who) {
                return Err(DomainError::NotFound(format!("incident {number}")));
            }
            Ok(
                crate::unit::Decided::new(()).journal(rampart_store::JournalDraft::new(
                    number,
                    JournalAction::IncidentExported(exported),
                )),
            )
        });
        self.run(unit).await
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::Role;
    use rampart_store::{JournalSearch, Verification};

    use crate::ErrorKind;
    use crate::testing::TestApp;

    #[tokio::test]
    async fn auditors_browse_newest_first_by_actor_and_action() {
        let t = TestApp::new().await;
        let auditor = t.user("audrey", &[Role::Auditor]).await;
        t.user("pat", &[Role::Poc]).await;
        t.user("ian", &[Role::IsirtMember]).await;
        let search = |q: JournalSearch| {
            let app = t.app.clone();
            let auditor = auditor.clone();
            async move { app.journal_search(&auditor, q).await.unwrap() }
        };
        let (all, next) = search(JournalSearch {
            limit: 2,
            ..JournalSearch::default()
        })
        .await;
        assert_eq!(all.len(), 2);
        assert!(all[0].entry.seq > all[1].entry.seq, "newest first");
        let (rest, _) = search(JournalSearch {
            limit: 100,
            before: next,
            ..JournalSearch::default()
        })
        .await;
        assert!(rest.iter().all(|e| e.entry.seq < all[1].entry.seq));
        let (created, _) = search(JournalSearch {
            limit: 100,
            action: Some("user.created".into()),
            ..JournalSearch::default()
        })
        .await;
        assert_eq!(created.len(), 3);
        assert_eq!(created[0].entry.entity, "user:ian");
        let (about_pat, _) = search(JournalSearch {
            limit: 100,
            entity: Some("user:pat".into()),
            ..JournalSearch::default()
        })
        .await;
        assert_eq!(about_pat.len(), 1);
        let (by_nobody, _) = search(JournalSearch {
            limit: 100,
            actor: Some("nobody".into()),
            ..JournalSearch::default()
        })
        .await;
        assert!(by_nobody.is_empty());

        let pat = t.user("pia", &[Role::Poc]).await;
        let refused = t
            .app
            .journal_search(&pat, JournalSearch::default())
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
    }

    #[tokio::test]
    async fn the_integrity_summary_chains_from_the_last_checkpoint() {
        let t = TestApp::with_vault().await;
        let auditor = t.user("audrey", &[Role::Auditor]).await;
        let before = t.app.journal_integrity(&auditor).await.unwrap();
        assert!(before.checkpoint.is_none());
        assert!(matches!(before.since, Some(Verification::Intact { .. })));

        let cp = t.app.checkpoint().await.unwrap();
        t.user("pat", &[Role::Poc]).await;
        let now = t.app.journal_integrity(&auditor).await.unwrap();
        let state = now.checkpoint.unwrap();
        assert_eq!(state.checkpoint, cp);
        assert!(state.holds());
        assert_eq!(now.since_count, 1);
        assert!(
            matches!(&now.since, Some(Verification::Intact { head, .. }) if *head == now.head.1)
        );

        let verified = t.app.verify_journal(&auditor).await.unwrap();
        assert!(matches!(verified, Verification::Intact { count, .. } if count == now.head.0));
        let (entries, _) = t
            .app
            .journal_search(
                &auditor,
                JournalSearch {
                    limit: 1,
                    ..JournalSearch::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(entries[0].entry.action, "journal.verified");
        assert_eq!(entries[0].entry.actor, "audrey");
        let check = t
            .app
            .journal_integrity(&auditor)
            .await
            .unwrap()
            .last_check
            .unwrap();
        assert_eq!(check.by, "audrey");
        assert!(check.found.intact);
        assert_eq!(check.found.entries, now.head.0);
    }
}
