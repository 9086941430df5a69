//! Checkpoints and the journal export: the journal's head signed with the
//! installation's key after enough entries and at least every interval
//! (once among all nodes), and the portable journal file that ends on one.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use rampart_domain::DomainError;
use rampart_store::{Checkpoint, Entity, StoreError};

use crate::unit::{Decided, Unit};
use crate::{App, AppError};

impl App {
    /// Signs a checkpoint at the journal's head unless the last one is there
    /// already; returns the checkpoint covering the head.
    pub async fn checkpoint(&self) -> Result<Checkpoint, AppError> {
        let vault = self.vault()?;
        let _one_at_a_time = vault.signing.lock().await;
        let head = self.store.journal_head().await?;
        let last = self.store.last_checkpoint().await?;
        if let Some(last) = last.filter(|c| c.seq >= head.0) {
            vault.last_signed.fetch_max(last.seq, Ordering::Relaxed);
            return Ok(last);
        }
        let cp = vault
            .key
            .checkpoint(head.0, &head.1, &self.clock.now().to_rfc3339());
        let written = cp.clone();
        let (unit, _) = Unit::new("system")
            .decide(move |_| Ok(Decided::new(()).insert(Entity::Checkpoint(written))))
            .into_parts();
        match self.store.execute(unit).await {
            Ok(_) => {}
            // Another node signed the same head first; theirs stands.
            Err(StoreError::Domain(DomainError::Conflict(_))) => {}
            Err(e) => return Err(e.into()),
        }
        vault.last_signed.fetch_max(cp.seq, Ordering::Relaxed);
        Ok(cp)
    }

    /// A checkpoint as a C2SP signed note (tlog-checkpoint), for auditors
    /// and transparency-log tooling: the one at `seq`, or without it the
    /// journal's head (signing one there if none is yet). The stored
    /// checkpoint's own signature is checked first.
    pub async fn checkpoint_note(
        &self,
        actor: &rampart_domain::Actor,
        seq: Option<u64>,
    ) -> Result<String, AppError> {
        actor.require(rampart_domain::Action::ReadJournal)?;
        let vault = self.vault()?;
        let cp = match seq {
            None => self.checkpoint().await?,
            Some(seq) => self
                .store
                .checkpoints(seq.saturating_sub(1), 1)
                .await?
                .into_iter()
                .find(|c| c.seq == seq)
                .ok_or_else(|| crate::not_found(format!("checkpoint at entry {seq}")))?,
        };
        rampart_store::checkpoint::verify_checkpoint(&cp).map_err(|e| {
            AppError::Domain(DomainError::Conflict(format!(
                "the checkpoint at entry {} does not verify: {e}",
                cp.seq
            )))
        })?;
        vault
            .key
            .note(&cp)
            .map_err(|e| AppError::Domain(DomainError::Conflict(e)))
    }

    /// Called after each commit: signs in the background once enough entries
    /// have accumulated since the last checkpoint.
    pub(crate) fn checkpoint_when_due(&self, head: u64) {
        let Some(vault) = &self.vault else { return };
        let last = vault.last_signed.load(Ordering::Relaxed);
        if head < last.saturating_add(vault.checkpoint_entries) {
            return;
        }
        // Claim this round so that concurrent commits do not all spawn one.
        if vault
            .last_signed
            .compare_exchange(last, head, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        // A background job, keyed by the round of entries: nodes crossing
        // the same round at once enqueue it once, and one of them signs.
        let round = head / vault.checkpoint_entries.max(1);
        self.enqueue(
            crate::jobs::CHECKPOINT,
            format!("checkpoint:entries:{round}"),
        );
    }

    /// Enqueues a checkpoint every `checkpoint_interval` (keyed by the
    /// interval, so one per interval however many nodes run), and looks for
    /// due jobs; runs until the process ends.
    pub async fn sign_periodically(self: Arc<Self>) {
        let Ok(vault) = self.vault() else { return };
        let interval = vault
            .checkpoint_interval
            .max(std::time::Duration::from_secs(1));
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let bucket = self.clock.now().as_offset().unix_timestamp()
                / i64::try_from(interval.as_secs()).unwrap_or(i64::MAX);
            self.enqueue(crate::jobs::CHECKPOINT, format!("checkpoint:time:{bucket}"));
        }
    }

    /// Writes the portable journal file, ending on a checkpoint signed now.
    pub async fn export_journal(
        &self,
        out: impl std::io::Write,
    ) -> Result<rampart_store::export::ExportSummary, AppError> {
        let cp = self.checkpoint().await?;
        let vault = self.vault()?;
        Ok(rampart_store::export::write(
            self.store.as_ref(),
            &vault.key,
            cp.seq,
            &self.clock.now().to_rfc3339(),
            out,
        )
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::Role;
    use rampart_store::checkpoint::verify_checkpoint;

    use crate::ErrorKind;
    use crate::testing::TestApp;

    #[tokio::test]
    async fn a_checkpoint_signs_the_head_once_until_the_journal_grows() {
        let t = TestApp::with_vault().await;
        t.user("pat", &[Role::Poc]).await;
        let store = t.app.store();
        let first = t.app.checkpoint().await.unwrap();
        let head = store.journal_head().await.unwrap();
        assert_eq!((first.seq, &first.hash), (head.0, &head.1));
        assert_eq!(first.key, t.app.vault().unwrap().key.public_hex());
        verify_checkpoint(&first).unwrap();
        assert_eq!(t.app.checkpoint().await.unwrap(), first);
        assert_eq!(store.checkpoints(0, 10).await.unwrap().len(), 1);

        t.user("ian", &[Role::IsirtMember]).await;
        let next = t.app.checkpoint().await.unwrap();
        assert_eq!(next.seq, first.seq + 1);
        assert_eq!(store.last_checkpoint().await.unwrap(), Some(next));
    }

    #[tokio::test]
    async fn without_a_vault_nothing_is_signed() {
        let t = TestApp::new().await;
        let refused = t.app.checkpoint().await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Unavailable);
        assert_eq!(t.app.store().last_checkpoint().await.unwrap(), None);
    }
}
